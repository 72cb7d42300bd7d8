package io.samtune.cli.command;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * A "what: i/n, rate, time left" counter redrawn in place on a terminal (nothing when the output
 * is a file or a pipe), for the long loops of the commands: encoding slices, scoring them.
 */
final class Counter implements IntConsumer {

    private final PrintWriter err;
    private final String what;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private boolean drawn;

    Counter(PrintWriter err, String what, int total) {
        this.err = err;
        this.what = what;
        this.total = total;
        this.terminal = System.console() != null;
    }

    @Override
    public void accept(int done) {
        if (terminal) {
            err.print("\r" + line(what, done, total, (System.nanoTime() - start) / 1e9));
            err.flush();
            drawn = true;
        }
    }

    /**
     * The counter's text: {@code what: done/total}, then (once something is done) the rate per
     * second and the time left at that rate, padded so a shorter line overwrites a longer one.
     */
    static String line(String what, int done, int total, double seconds) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s: %d/%d", what, done, total));
        if (done > 0 && seconds > 0) {
            double rate = done / seconds;
            b.append(String.format(Locale.ROOT, rate >= 1 ? ", %.1f/s" : ", %.3f/s", rate));
            if (done < total) {
                b.append(", ").append(duration((total - done) / rate)).append(" left");
            }
        }
        return String.format(Locale.ROOT, "%-" + (what.length() + 40) + "s", b);
    }

    /** Seconds as "42 s", "7 min 5 s" or "3 h 12 min". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    /** Ends the counter's line, if one was drawn. */
    void finish() {
        if (drawn) {
            err.println();
            drawn = false;
        }
    }
}

package io.samtune.cli.command;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * A "what: i/n" counter redrawn in place on a terminal (nothing when the output is a file or a
 * pipe), for the long loops of the commands: encoding slices, scoring them.
 */
final class Counter implements IntConsumer {

    private final PrintWriter err;
    private final String what;
    private final int total;
    private final boolean terminal;
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
            err.printf(Locale.ROOT, "\r%s: %d/%d", what, done, total);
            err.flush();
            drawn = true;
        }
    }

    /** Ends the counter's line, if one was drawn. */
    void finish() {
        if (drawn) {
            err.println();
            drawn = false;
        }
    }
}

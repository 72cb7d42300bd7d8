package io.samtune.data;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * What a command printed and returned, for the command tests of every module.
 *
 * @param exit the exit code
 * @param out standard output
 * @param err standard error
 */
public record CommandResult(int exit, String out, String err) {

    /** A command's {@code run(out, err, args)} entry point. */
    @FunctionalInterface
    public interface Command {
        /** Runs the command; returns its exit code. */
        int run(PrintWriter out, PrintWriter err, String... args);
    }

    /** Runs a command and captures its output. */
    public static CommandResult of(Command command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = command.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CommandResult(exit, out.toString(), err.toString());
    }
}

package io.samtune.cli.command;

import io.samtune.cli.option.Converters;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine;

/** What every command shares: its command line (typed converters, library defaults), running it, folder names. */
public final class Commands {

    private Commands() {
    }

    /** A command line for a command object, with the converters and library defaults. */
    public static CommandLine commandLine(Object command) {
        return Converters.register(new CommandLine(command));
    }

    /** Runs a command with these writers and arguments; returns its exit code. */
    public static int run(Object command, PrintWriter out, PrintWriter err, String... args) {
        return commandLine(command).setOut(out).setErr(err).execute(args);
    }

    /** A new timestamped folder name under {@code parent}, e.g. {@code runs/train-20261201-101500}. */
    static Path timestamped(String parent, String prefix) {
        return Path.of(parent, prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /** A bad option: picocli prints it with exit code 2. */
    static CommandLine.ParameterException badOption(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}

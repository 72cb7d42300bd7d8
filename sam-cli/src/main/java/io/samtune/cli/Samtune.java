package io.samtune.cli;

import io.samtune.cli.command.BenchmarkCommand;
import io.samtune.cli.command.CacheCommand;
import io.samtune.cli.command.CertsCommand;
import io.samtune.cli.command.SweepCommand;
import io.samtune.cli.command.ClasspathCommand;
import io.samtune.cli.command.Commands;
import io.samtune.cli.command.ShellCommand;

import io.samtune.cli.command.PredictCommand;
import io.samtune.cli.command.DatasetInfoCommand;
import io.samtune.cli.command.TestAccuracyCommand;
import io.samtune.cli.command.TrainCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code samtune <command> [options]}: every samtune command under one entry point. */
@Command(name = "samtune", mixinStandardHelpOptions = true, version = "samtune 0.1.0",
        description = "Fine-tune Segment Anything on brain tumour MRI, in Java.",
        subcommands = {TrainCommand.class, TestAccuracyCommand.class, DatasetInfoCommand.class, PredictCommand.class, BenchmarkCommand.class,
            CacheCommand.class, io.samtune.cli.command.ExportCommand.class, CertsCommand.class, SweepCommand.class, ShellCommand.class, ClasspathCommand.class,
            CommandLine.HelpCommand.class})
public final class Samtune implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs a command line; returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new Samtune(), out, err, args);
    }

    /** Entry point of the {@code samtune} launcher. */
    public static void main(String[] args) {
        System.exit(Commands.execute(new Samtune(), args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose one of "
                + String.join(", ", spec.subcommands().keySet()));
    }
}

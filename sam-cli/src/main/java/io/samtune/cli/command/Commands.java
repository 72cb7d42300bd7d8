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

    /** The settings' names in the library's messages, and the options that set them. */
    private static final String[][] OPTION_NAMES = {{"learningRate", "--lr"}, {"batchSize", "--batch-size"},
        {"gradAccumulation", "--grad-accumulation"}, {"weightDecay", "--weight-decay"}, {"beta1", "--beta1"},
        {"beta2", "--beta2"}, {"epsilon", "--eps"}, {"boxJitter", "--box-jitter"}, {"warmupSteps", "--warmup"},
        {"maxSteps", "--steps"}, {"checkpointEvery", "--checkpoint-every"}, {"valFraction", "--val-fraction"},
        {"testFraction", "--test-fraction"}, {"folds", "--folds"}, {"fold", "--fold"}, {"stepSize", "--step-size"},
        {"stepGamma", "--step-gamma"}};

    /** A command line for a command object, with the converters, library defaults and one-line option errors. */
    public static CommandLine commandLine(Object command) {
        CommandLine cl = Converters.register(new CommandLine(command));
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            PrintWriter err = failed.getErr();
            String suggestion = "";
            if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                suggestion = "; did you mean " + String.join(" or ", u.getSuggestions().subList(0,
                        Math.min(3, u.getSuggestions().size()))) + "?";
            }
            err.println("error: " + e.getMessage() + suggestion);
            err.println("see " + failed.getCommandSpec().qualifiedName() + " --help");
            err.flush();
            return 2;
        });
        // an I/O refusal that surfaces unchecked (an encoder read when first needed, found damaged) is the same
        // one line as when it is found at start, not a stack trace
        cl.setExecutionExceptionHandler((e, failed, parsed) -> {
            if (e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
                String message = e instanceof java.io.UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
                failed.getErr().println("error: " + message);
                failed.getErr().flush();
                return 1;
            }
            throw e;
        });
        return cl;
    }

    /** A library message with its settings' names replaced by the options that set them. */
    static String inOptionNames(String message) {
        String m = message;
        for (String[] n : OPTION_NAMES) {
            m = m.replaceAll("(?<![\\w-])" + n[0] + "(?![\\w])", n[1]);
        }
        return m;
    }

    /**
     * Runs a command on the process's own output, flushing it before the exit code is returned (a
     * table printed without a line end would otherwise be lost at {@code System.exit}).
     */
    public static int execute(Object command, String[] args) {
        CommandLine cl = commandLine(command);
        int code = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        return code;
    }

    /** Runs a command with these writers and arguments; returns its exit code. */
    public static int run(Object command, PrintWriter out, PrintWriter err, String... args) {
        return commandLine(command).setOut(out).setErr(err).execute(args);
    }

    /** A new timestamped folder name under {@code parent}, e.g. {@code runs/train-20261201-101500}. */
    static Path timestamped(String parent, String prefix) {
        return Path.of(parent, prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /**
     * The GPU of one process among several per node (torchrun, srun): {@code gpu:LOCAL_RANK} (modulo
     * the GPUs it sees), or null when the process is alone or sees no GPU.
     */
    static String localGpu(io.samtune.cluster.Launch launch) {
        int gpus = launch.worldSize() > 1 ? io.samtune.core.Engines.pytorch().getGpuCount() : 0;
        return gpus > 0 ? "gpu:" + launch.localRank() % gpus : null;
    }

    /** A bad option: picocli prints it with exit code 2. */
    static CommandLine.ParameterException badOption(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), inOptionNames(message));
    }

    /** Parses {@code --cache-dtype}: true for float16, false for float32. */
    static boolean float16(String dtype) {
        return switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
            case "float16", "f16", "half" -> true;
            case "float32", "f32", "float" -> false;
            default -> throw new IllegalArgumentException("--cache-dtype must be float16 or float32, got '" + dtype + "'");
        };
    }
}

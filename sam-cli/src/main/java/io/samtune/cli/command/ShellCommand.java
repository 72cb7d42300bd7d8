package io.samtune.cli.command;

import io.samtune.cli.ScriptRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code samtune shell [FILE.jsh]}: JShell with samtune's packages imported (the launcher starts
 * the interactive one), or a script run non-interactively, failing on its first failing snippet.
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = "JShell with samtune on the class path and its packages imported; with FILE.jsh, run the script.",
        footer = {"", "Exit codes: 0 the script ran; 1 a snippet did not compile or threw."})
public final class ShellCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "FILE.jsh", description = "A script to run instead of the interactive shell.")
    Path script;

    @Override
    public Integer call() throws Exception {
        if (script == null) {
            spec.commandLine().getErr().println("error: the interactive shell is started by the samtune launcher:"
                    + " run ./samtune shell");
            return 2;
        }
        return ScriptRunner.run(script, System.out, System.err);
    }
}

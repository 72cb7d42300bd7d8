package io.samtune.cli.command;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code samtune classpath}: the class path of samtune and its dependencies, for {@code java -cp}. */
@Command(name = "classpath", mixinStandardHelpOptions = true,
        description = "Print the class path of samtune and its dependencies (for java -cp \"$(samtune classpath)\" ...).")
public final class ClasspathCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(System.getProperty("java.class.path"));
        return 0;
    }
}

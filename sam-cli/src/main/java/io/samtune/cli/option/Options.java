package io.samtune.cli.option;

import picocli.CommandLine.Model.CommandSpec;

/** Whether an option was given on the command line, as opposed to taking its default. */
public final class Options {

    private Options() {
    }

    /** True when {@code name} was given on the command line of {@code spec}. */
    public static boolean given(CommandSpec spec, String name) {
        return spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(name);
    }
}

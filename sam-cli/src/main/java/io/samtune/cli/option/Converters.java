package io.samtune.cli.option;

import io.samtune.core.Engines;
import io.samtune.core.PromptMode;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.DataSplit;
import io.samtune.train.LearningRateSchedule;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.RunConfig;
import picocli.CommandLine;

/**
 * The typed option values of every command, parsed by the library's own {@code parse} methods so
 * the names on the command line are those in JSON and in messages.
 */
public final class Converters {

    private Converters() {
    }

    /** A device spec ({@code auto}, {@code cpu}, {@code gpu}, {@code gpu:N}), checked against the engine. */
    public record DeviceSpec(String spec) {
        @Override
        public String toString() {
            return spec;
        }
    }

    /** A parser whose refusal is shown as its own message, without the exception's class. */
    private static <T> CommandLine.ITypeConverter<T> plain(java.util.function.Function<String, T> parse) {
        return s -> {
            try {
                return parse.apply(s);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        };
    }

    /** Registers every converter on a command line (and its subcommands). */
    public static CommandLine register(CommandLine cl) {
        return cl.registerConverter(PromptMode.class, plain(PromptMode::parse))
                .registerConverter(IntensityWindow.class, plain(IntensityWindow::parse))
                .registerConverter(OptimizationConfig.Loss.class, plain(OptimizationConfig.Loss::parse))
                .registerConverter(OptimizationConfig.Algorithm.class, plain(OptimizationConfig.Algorithm::parse))
                .registerConverter(LearningRateSchedule.Kind.class, plain(LearningRateSchedule.Kind::parse))
                .registerConverter(RunConfig.Selection.class, plain(RunConfig.Selection::parse))
                .registerConverter(DataSplit.Part.class, plain(DataSplit.Part::parse))
                .registerConverter(DeviceSpec.class, s -> {
                    try {
                        Engines.device(s);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.TypeConversionException(e.getMessage());
                    }
                    return new DeviceSpec(s);
                })
                .setDefaultValueProvider(new LibraryDefaults());
    }
}

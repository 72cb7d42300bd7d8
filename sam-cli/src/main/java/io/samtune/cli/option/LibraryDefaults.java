package io.samtune.cli.option;

import io.samtune.core.config.ModelConfig;
import io.samtune.core.config.DataConfig;
import io.samtune.data.SplitSpec;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.RunConfig;
import io.samtune.train.ScheduleConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;

/**
 * The default of every option, read from the library's config builders, so help texts show them
 * ({@code ${DEFAULT-VALUE}}) and the command line never writes a default of its own. Commands tell
 * given options from defaults through the parse result, so an option not given never overrides
 * {@code --settings}.
 */
final class LibraryDefaults implements CommandLine.IDefaultValueProvider {

    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        OptimizationConfig o = OptimizationConfig.defaults();
        ScheduleConfig s = ScheduleConfig.defaults();
        RunConfig r = RunConfig.defaults();
        DataConfig d = DataConfig.builder().setFolder(Path.of(".")).build();
        ModelConfig m = ModelConfig.builder().setCheckpoint(Path.of(".")).build();
        SplitSpec split = d.split();
        Map<String, String> v = new HashMap<>();
        v.put("--lr", Double.toString(o.learningRate()));
        v.put("--optimizer", o.algorithm().label());
        v.put("--beta1", Double.toString(o.beta1()));
        v.put("--beta2", Double.toString(o.beta2()));
        v.put("--eps", Double.toString(o.epsilon()));
        v.put("--weight-decay", Double.toString(o.weightDecay()));
        v.put("--loss", o.loss().label());
        v.put("--batch-size", Integer.toString(o.batchSize()));
        v.put("--grad-accumulation", Integer.toString(o.gradAccumulation()));
        v.put("--epochs", Integer.toString(s.epochs()));
        v.put("--schedule", s.kind().name().toLowerCase(Locale.ROOT));
        v.put("--warmup", Integer.toString(s.warmupSteps()));
        v.put("--step-size", Integer.toString(s.stepSize()));
        v.put("--step-gamma", Double.toString(s.stepGamma()));
        v.put("--patience", Integer.toString(r.patience()));
        v.put("--checkpoint-seconds", Integer.toString(r.checkpointSeconds()));
        v.put("--seed", Long.toString(r.seed()));
        v.put("--checkpoint-every", Integer.toString(r.checkpointEvery()));
        v.put("--select", r.select().label());
        v.put("--prompt", d.prompt().label());
        v.put("--box-jitter", Integer.toString(d.boxJitter()));
        v.put("--window", d.window().toString());
        v.put("--val-fraction", Double.toString(split.valFraction()));
        v.put("--test-fraction", Double.toString(split.testFraction()));
        v.put("--fold", Integer.toString(split.fold()));
        v.put("--split-seed", Long.toString(split.seed()));
        v.put("--device", m.device());
        v.put("--cache-dtype", m.cacheFloat16() ? "float16" : "float32");
        return Map.copyOf(v);
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec argSpec) {
        if (argSpec instanceof CommandLine.Model.OptionSpec option) {
            return DEFAULTS.get(option.longestName());
        }
        return null;
    }
}

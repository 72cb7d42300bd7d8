package io.samtune.cli.option;

import io.samtune.core.config.ModelConfig;
import io.samtune.core.model.LoraConfig;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options that put LoRA adapters on the image encoder's last blocks, trained with the decoder. */
public final class AdapterOptions {

    @Option(names = "--adapter", paramLabel = "none|lora", description = "Also train LoRA adapters on the image encoder's last blocks, from a cache of the frozen blocks before them (default: none, the decoder alone).")
    String adapter;

    @Option(names = "--lora-rank", paramLabel = "R", description = "The adapters' rank (default: 4).")
    Integer rank;

    @Option(names = "--lora-alpha", paramLabel = "A", description = "The adapters' alpha: updates are scaled by alpha/rank (default: 8).")
    Double alpha;

    @Option(names = "--lora-blocks", paramLabel = "K|I,J,...", description = "Which encoder blocks: the last K (default: 2), or block indices such as 9,10,11.")
    String blocks;

    @Option(names = "--lora-targets", paramLabel = "q,v", split = ",", description = "Which parts of the qkv projection (default: q,v; k may be added).")
    List<String> targets;

    @Option(names = "--train", paramLabel = "prompt-encoder", split = ",", description = "Also train these parts with the decoder (and adapters): prompt-encoder, its learned embeddings.")
    List<String> train;

    /**
     * Applies the given options: {@code --adapter lora} adds adapters (the base run's, or the
     * defaults, changed by the {@code --lora-*} options given), {@code --adapter none} removes them.
     *
     * @throws IllegalArgumentException for an unknown adapter, bad values, or {@code --lora-*} options
     *     without adapters
     */
    public ModelConfig.Builder apply(ModelConfig.Builder b, LoraConfig base, CommandSpec spec) {
        if (train != null) {
            for (String part : train) {
                if (!part.trim().equals("prompt-encoder")) {
                    throw new IllegalArgumentException("--train takes prompt-encoder (the decoder is always trained, adapters"
                            + " with --adapter lora), not '" + part + "'");
                }
            }
            b.optTrainPromptEncoder(!train.isEmpty());
        }
        boolean any = rank != null || alpha != null || blocks != null || targets != null;
        if (adapter != null && !adapter.equals("lora") && !adapter.equals("none")) {
            throw new IllegalArgumentException("--adapter must be lora or none, not '" + adapter + "'");
        }
        if ("none".equals(adapter)) {
            if (any) {
                throw new IllegalArgumentException("the --lora-* options need --adapter lora, not --adapter none");
            }
            return b.optAdapter(null);
        }
        if (adapter == null && base == null) {
            if (any) {
                throw new IllegalArgumentException("the --lora-* options need --adapter lora (the decoder alone is"
                        + " trained without it)");
            }
            return b;
        }
        LoraConfig from = base != null ? base : LoraConfig.lastBlocks(Integer.parseInt(LoraConfig.DEFAULT_BLOCKS));
        return b.optAdapter(new LoraConfig(rank != null ? rank : from.rank(), alpha != null ? alpha : from.alpha(),
                blocks != null ? blocks : from.blocks(), targets != null ? targets : from.targets()));
    }
}

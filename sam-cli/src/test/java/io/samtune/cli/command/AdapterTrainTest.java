package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.samtune.core.Engines;
import io.samtune.core.Reference;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.Safetensors;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.model.LoraConfig;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import io.samtune.train.RunDirectory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters through the commands, on the tiny SAM and the demo slices: training from the block
 * cache equals training with the whole encoder run at every step, a resumed run equals one that ran
 * through, test-accuracy and predict use a run's adapters, the exported checkpoint predicts what
 * predict does with the run, and bad adapter options and files get one line each.
 */
class AdapterTrainTest {

    @TempDir
    Path tmp;

    List<String> train(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("--data", Fixtures.demo().toString(),
                "--checkpoint", Reference.file("tiny-sam.pth").toString(),
                "--config", Reference.file("tiny-sam-config.json").toString(),
                "--cache", tmp.resolve("cache").toString(), "--device", "cpu", "--out", out.toString(),
                "--batch-size", "2", "--seed", "5", "--adapter", "lora"));
        if (!List.of(more).contains("--lr")) {
            a.addAll(List.of("--lr", "3e-3"));
        }
        a.addAll(List.of(more));
        return a;
    }

    static CommandResult run(List<String> args) {
        CommandResult r = CommandResult.of(TrainCommand::run, args.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return r;
    }

    static Map<String, float[]> tensors(Path file) throws Exception {
        Engines.pytorch();
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
             StateDict sd = SamCheckpoint.load(file, m)) {
            for (String k : new java.util.TreeSet<>(sd.keys())) {
                out.put(k, sd.get(k).toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        return out;
    }

    static double maxDiff(Map<String, float[]> a, Map<String, float[]> b) {
        assertThat(a.keySet()).isEqualTo(b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            assertThat(x).as(k).hasSameSizeAs(y);
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs((double) x[i] - y[i]));
            }
        }
        return worst;
    }

    @Test
    void theBlockCacheTrainsAsTheWholeEncoderAndResumesExactly() throws Exception {
        Path cached = tmp.resolve("cached");
        CommandResult r = run(train(cached, "--steps", "4", "--cache-dtype", "float32"));
        assertThat(r.out()).contains("the tokens entering block 1").contains("adapters LoRA[rank 4, alpha 8, blocks 2");
        Path whole = tmp.resolve("whole");
        run(train(whole, "--steps", "4", "--no-cache"));
        Map<String, float[]> a = tensors(cached.resolve(RunDirectory.DECODER_LAST));
        Map<String, float[]> b = tensors(whole.resolve(RunDirectory.DECODER_LAST));
        assertThat(a.keySet()).contains(LoraConfig.name(1, "q", "A"), LoraConfig.name(2, "v", "B"))
                .hasSize(8 + a.keySet().stream().filter(k -> k.startsWith("mask_decoder.")).toList().size());
        assertThat(maxDiff(a, b)).isLessThanOrEqualTo(1e-6);
        // the adapters moved: B started at zero
        assertThat(a.get(LoraConfig.name(2, "v", "B"))).isNotEqualTo(new float[48 * 4]);

        // 2 steps, then resumed to 4 (float16 cache, the default): the same bits as 4 at once
        Path straight = tmp.resolve("straight");
        run(train(straight, "--steps", "4"));
        Path split = tmp.resolve("split");
        run(train(split, "--steps", "2"));
        run(train(split, "--steps", "4", "--resume"));
        assertThat(maxDiff(tensors(split.resolve(RunDirectory.DECODER_LAST)),
                tensors(straight.resolve(RunDirectory.DECODER_LAST)))).isZero();

        // two replicas on this CPU in one process train the adapters as one device does
        Path replicas = tmp.resolve("replicas");
        run(train(replicas, "--steps", "4", "--cache-dtype", "float32", "--devices", "cpu,cpu"));
        assertThat(maxDiff(tensors(replicas.resolve(RunDirectory.DECODER_LAST)), a)).isLessThanOrEqualTo(1e-5);

        // a resume with other adapters is refused, naming the setting
        CommandResult other = CommandResult.of(TrainCommand::run,
                train(split, "--steps", "6", "--resume", "--lora-rank", "8").toArray(String[]::new));
        assertThat(other.exit()).isNotZero();
        assertThat(other.err()).contains("adapter: saved").contains("rank 8");
    }

    @Test
    void predictTestAccuracyAndExportUseTheRunsAdapters() throws Exception {
        Path run = tmp.resolve("run");
        run(train(run, "--steps", "4", "--lr", "2e-2"));
        Path slice = Fixtures.demo().resolve("3.mat");
        List<String> common = List.of("--config", Reference.file("tiny-sam-config.json").toString(), "--device", "cpu",
                "--image", slice.toString(), "--box", "100,100,300,300");
        List<String> viaRun = new ArrayList<>(common);
        viaRun.addAll(List.of("--checkpoint", Reference.file("tiny-sam.pth").toString(), "--decoder", run.toString(),
                "--out", tmp.resolve("run.npz").toString()));
        CommandResult p = CommandResult.of(PredictCommand::run, viaRun.toArray(String[]::new));
        assertThat(p.exit()).as(p.err()).isZero();

        for (String ext : List.of("pth", "safetensors")) {
            Path merged = tmp.resolve("merged." + ext);
            CommandResult e = CommandResult.of(ExportCommand::run, "--checkpoint",
                    Reference.file("tiny-sam.pth").toString(), "--config",
                    Reference.file("tiny-sam-config.json").toString(), "--decoder", run.toString(), "--merged",
                    merged.toString());
            assertThat(e.exit()).as(e.err()).isZero();
            assertThat(e.out()).contains("folded into the qkv weights");
            // the base checkpoint's keys and shapes, no adapter tensors
            Map<String, float[]> base = tensors(Reference.file("tiny-sam.pth"));
            Map<String, float[]> out = tensors(merged);
            assertThat(out.keySet()).isEqualTo(base.keySet());
            for (String k : base.keySet()) {
                assertThat(out.get(k)).as(k).hasSameSizeAs(base.get(k));
            }
            assertThat(out.get("image_encoder.blocks.2.attn.qkv.weight"))
                    .isNotEqualTo(base.get("image_encoder.blocks.2.attn.qkv.weight"));
            assertThat(out.get("image_encoder.blocks.0.attn.qkv.weight"))
                    .isEqualTo(base.get("image_encoder.blocks.0.attn.qkv.weight"));
            List<String> viaMerged = new ArrayList<>(common);
            viaMerged.addAll(List.of("--checkpoint", merged.toString(), "--out", tmp.resolve(ext + ".npz").toString()));
            CommandResult q = CommandResult.of(PredictCommand::run, viaMerged.toArray(String[]::new));
            assertThat(q.exit()).as(q.err()).isZero();
            assertThat(maxDiff(npz(tmp.resolve("run.npz")), npz(tmp.resolve(ext + ".npz")))).as(ext)
                    .isLessThanOrEqualTo(1e-4);
        }
        // the adapters change the prediction: the base model with the run's decoder alone predicts otherwise
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            Path decoderOnly = tmp.resolve("decoder-only.safetensors");
            Map<String, NDArray> kept = new LinkedHashMap<>();
            try (StateDict sd = SamCheckpoint.load(run.resolve(RunDirectory.DECODER_BEST), m)) {
                sd.tensors().forEach((k, v) -> {
                    if (k.startsWith("mask_decoder.")) {
                        kept.put(k, v.duplicate());
                    }
                });
                Safetensors.write(kept, Map.of(), decoderOnly, false);
            }
            List<String> plain = new ArrayList<>(common);
            plain.addAll(List.of("--checkpoint", Reference.file("tiny-sam.pth").toString(), "--decoder",
                    decoderOnly.toString(), "--out", tmp.resolve("plain.npz").toString()));
            assertThat(CommandResult.of(PredictCommand::run, plain.toArray(String[]::new)).exit()).isZero();
            assertThat(maxDiff(npz(tmp.resolve("run.npz")), npz(tmp.resolve("plain.npz")))).isGreaterThan(1e-3);
        }

        // an existing file is kept unless --force, and the base checkpoint is never replaced
        Path existing = tmp.resolve("merged.pth");
        String before = io.samtune.core.io.Sha256.of(existing);
        CommandResult again = CommandResult.of(ExportCommand::run, "--config",
                Reference.file("tiny-sam-config.json").toString(), "--decoder", run.toString(), "--merged",
                existing.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("--merged " + existing + " exists").contains("--force");
        assertThat(io.samtune.core.io.Sha256.of(existing)).isEqualTo(before);
        Path base = tmp.resolve("base.pth");
        Files.copy(Reference.file("tiny-sam.pth"), base);
        CommandResult onto = CommandResult.of(ExportCommand::run, "--checkpoint", base.toString(), "--config",
                Reference.file("tiny-sam-config.json").toString(), "--decoder", run.toString(), "--merged",
                base.toString(), "--force");
        assertThat(onto.exit()).isEqualTo(2);
        assertThat(onto.err()).contains("is the base checkpoint");
        assertThat(io.samtune.core.io.Sha256.of(base)).isEqualTo(io.samtune.core.io.Sha256.of(Reference.file("tiny-sam.pth")));

        CommandResult scored = CommandResult.of(TestAccuracyCommand::run, "--decoder", run.toString(), "--cache",
                tmp.resolve("cache").toString(), "--device", "cpu", "--out", tmp.resolve("report").toString());
        assertThat(scored.exit()).as(scored.err()).isZero();
        assertThat(scored.out()).contains("zero-shot").contains("run/decoder-best");
    }

    @Test
    void thePromptEncoderTrainsWithTheDecoderWhenAsked() throws Exception {
        Path run = tmp.resolve("prompt");
        run(train(run, "--steps", "3", "--lr", "2e-2", "--train", "prompt-encoder"));
        Map<String, float[]> saved = tensors(run.resolve(RunDirectory.DECODER_LAST));
        Map<String, float[]> base = tensors(Reference.file("tiny-sam.pth"));
        assertThat(saved.keySet()).contains("prompt_encoder.point_embeddings.2.weight",
                "prompt_encoder.mask_downscaling.0.weight").doesNotContain(
                "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix");
        // the box corners' embeddings are on the loss path and moved; the mask downscaler is not and did not
        assertThat(saved.get("prompt_encoder.point_embeddings.2.weight"))
                .isNotEqualTo(base.get("prompt_encoder.point_embeddings.2.weight"));
        assertThat(saved.get("prompt_encoder.not_a_point_embed.weight"))
                .isEqualTo(base.get("prompt_encoder.not_a_point_embed.weight"));

        // predict with the run, and with its export, use the trained prompt encoder
        Path slice = Fixtures.demo().resolve("3.mat");
        List<String> common = List.of("--config", Reference.file("tiny-sam-config.json").toString(), "--device", "cpu",
                "--image", slice.toString(), "--box", "100,100,300,300");
        List<String> viaRun = new ArrayList<>(common);
        viaRun.addAll(List.of("--decoder", run.toString(), "--out", tmp.resolve("p-run.npz").toString()));
        assertThat(CommandResult.of(PredictCommand::run, viaRun.toArray(String[]::new)).exit()).isZero();
        Path merged = tmp.resolve("p-merged.safetensors");
        assertThat(CommandResult.of(ExportCommand::run, "--config", Reference.file("tiny-sam-config.json").toString(),
                "--decoder", run.toString(), "--merged", merged.toString()).exit()).isZero();
        assertThat(tensors(merged).get("prompt_encoder.point_embeddings.2.weight"))
                .isEqualTo(tensors(run.resolve(RunDirectory.DECODER_BEST)).get("prompt_encoder.point_embeddings.2.weight"));
        List<String> viaMerged = new ArrayList<>(common);
        viaMerged.addAll(List.of("--checkpoint", merged.toString(), "--out", tmp.resolve("p-merged.npz").toString()));
        assertThat(CommandResult.of(PredictCommand::run, viaMerged.toArray(String[]::new)).exit()).isZero();
        assertThat(maxDiff(npz(tmp.resolve("p-run.npz")), npz(tmp.resolve("p-merged.npz")))).isLessThanOrEqualTo(1e-4);

        // a resume must train the same parts
        CommandResult other = CommandResult.of(TrainCommand::run,
                train(run, "--steps", "4", "--lr", "2e-2", "--resume").toArray(String[]::new));
        assertThat(other.exit()).isNotZero();
        assertThat(other.err()).contains("trainPromptEncoder: saved true, given false");
        CommandResult bad = CommandResult.of(TrainCommand::run,
                train(tmp.resolve("bad"), "--steps", "1", "--train", "image-encoder").toArray(String[]::new));
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--train takes prompt-encoder");
    }

    static Map<String, float[]> npz(Path file) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
             InputStream in = Files.newInputStream(file)) {
            NDList list = NDList.decode(m, in);
            for (NDArray a : list) {
                out.put(a.getName(), a.toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        return out;
    }

    @Test
    void aModelWithFreshAdaptersComputesTheBaseModelsEmbeddingsExactly() throws Exception {
        try (SamModel base = SamModel.load(Reference.file("tiny-sam.pth"), io.samtune.core.SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             SamModel adapted = SamModel.load(Reference.file("tiny-sam.pth"), io.samtune.core.SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             NDManager m = base.manager().newSubManager()) {
            adapted.addAdapters(new LoraConfig(4, 8, "0,2", List.of("q", "k", "v")), 7);
            assertThat(adapted.adapterParameters()).hasSize(12);
            io.samtune.data.Sample s = io.samtune.data.figshare.FigshareSource.read(Fixtures.demo().resolve("8.mat"));
            io.samtune.core.image.IntensityWindow w = io.samtune.core.image.IntensityWindow.minMax();
            float[] a = base.embed(s, w, m).embedding().toFloatArray();
            float[] b = adapted.embed(s, w, m).embedding().toFloatArray();
            assertThat(b).isEqualTo(a);
            // A is random and not zero, B zero
            assertThat(adapted.weights().get(LoraConfig.name(0, "k", "A")).abs().max().getFloat()).isPositive();
            assertThat(adapted.weights().get(LoraConfig.name(0, "k", "B")).abs().max().getFloat()).isZero();
        }
    }

    @Test
    void badAdapterOptionsAndFilesGetOneLine() throws Exception {
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(List.of("--lora-blocks", "4"), "--lora-blocks 4 asks for more blocks than the encoder's 3");
        cases.put(List.of("--lora-blocks", "1,3"), "block 3 is outside the encoder, whose blocks are 0 to 2");
        cases.put(List.of("--lora-rank", "0"), "--lora-rank must be at least 1");
        cases.put(List.of("--lora-rank", "49"), "--lora-rank 49 is larger than the encoder's width 48");
        cases.put(List.of("--lora-targets", "q,x"), "--lora-targets takes q, k and v, not 'x'");
        cases.put(List.of("--lora-alpha", "-1"), "--lora-alpha must be a positive number");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            List<String> a = train(tmp.resolve("bad"), "--steps", "1");
            a.addAll(c.getKey());
            CommandResult r = CommandResult.of(TrainCommand::run, a.toArray(String[]::new));
            assertThat(r.exit()).as(c.getKey().toString()).isEqualTo(2);
            assertThat(r.err()).as(c.getKey().toString()).contains(c.getValue()).doesNotContain("\tat ");
        }
        assertThat(tmp.resolve("bad")).doesNotExist();
        CommandResult noAdapter = CommandResult.of(TrainCommand::run, "--lora-rank", "8", "--steps", "1", "--out",
                tmp.resolve("bad").toString());
        assertThat(noAdapter.exit()).isEqualTo(2);
        assertThat(noAdapter.err()).contains("the --lora-* options need --adapter lora");

        // a decoder file whose adapters do not match their recorded settings
        Path run = tmp.resolve("run");
        run(train(run, "--steps", "1"));
        Path damaged = tmp.resolve("damaged.safetensors");
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            Map<String, String> meta = new HashMap<>();
            try (StateDict sd = SamCheckpoint.load(run.resolve(RunDirectory.DECODER_BEST), m, meta)) {
                Map<String, NDArray> t = new LinkedHashMap<>(sd.tensors());
                t.put(LoraConfig.name(2, "q", "A"), m.zeros(new ai.djl.ndarray.types.Shape(3, 48)));
                Safetensors.write(t, meta, damaged, false);
            }
        }
        CommandResult p = CommandResult.of(PredictCommand::run, "--config",
                Reference.file("tiny-sam-config.json").toString(), "--device", "cpu", "--image",
                Fixtures.demo().resolve("3.mat").toString(), "--box", "100,100,300,300", "--decoder", damaged.toString(),
                "--out", tmp.resolve("x.npz").toString());
        assertThat(p.exit()).isEqualTo(1);
        assertThat(p.err()).contains(damaged.toString()).contains("image_encoder.blocks.2.attn.qkv.lora_q_A (3, 48)")
                .contains("should be (4, 48)").doesNotContain("\tat ");
        assertThat(tmp.resolve("x.npz")).doesNotExist();
    }
}

package io.samtune.core;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.samtune.data.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The official PyTorch SAM's outputs in {@code testdata/reference} and the tolerance they are held to. */
public final class Reference {

    /** Max |java - reference| for every float array. */
    public static final double TOLERANCE = 1e-4;

    private Reference() {
    }

    /** A file of {@code testdata/reference}. */
    public static Path file(String name) {
        return Fixtures.root().resolve("testdata/reference").resolve(name);
    }

    /** Reads an {@code .npz} archive; arrays are named after their entries. */
    public static NDList npz(String name, NDManager manager) throws IOException {
        try (InputStream in = Files.newInputStream(file(name))) {
            return NDList.decode(manager, in);
        }
    }

    /** Largest absolute difference, as float64. */
    public static double maxAbsDiff(NDArray actual, NDArray expected) {
        assertThat(actual.getShape()).as("shape of " + expected.getName()).isEqualTo(expected.getShape());
        NDArray a = actual.toType(DataType.FLOAT64, false);
        NDArray e = expected.toDevice(actual.getDevice(), false).toType(DataType.FLOAT64, false);
        return a.sub(e).abs().max().getDouble();
    }

    /** Asserts {@code max |actual - expected| <= TOLERANCE}. */
    public static void assertClose(NDArray actual, NDArray expected) {
        double d = maxAbsDiff(actual, expected);
        assertThat(d).as("max |java - reference| for " + expected.getName()).isLessThanOrEqualTo(TOLERANCE);
    }
    /** A copy of the tiny checkpoint, as safetensors, with one image-encoder value NaN. */
    public static Path damagedEncoder(Path dir) throws Exception {
        Path out = dir.resolve("damaged-encoder.safetensors");
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu());
             io.samtune.core.checkpoint.StateDict sd = io.samtune.core.checkpoint.SamCheckpoint.load(
                     file("tiny-sam.pth"), m)) {
            java.util.Map<String, ai.djl.ndarray.NDArray> all = new java.util.TreeMap<>();
            for (String k : sd.keys()) {
                all.put(k, sd.get(k));
            }
            String name = all.keySet().stream().filter(k -> k.startsWith("image_encoder.")).findFirst().orElseThrow();
            float[] v = all.get(name).toFloatArray();
            v[0] = Float.NaN;
            all.put(name, m.create(v, all.get(name).getShape()));
            io.samtune.core.checkpoint.Safetensors.write(all, java.util.Map.of(), out, false);
        }
        return out;
    }

}

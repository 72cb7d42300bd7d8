package io.samtune.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Starts DJL's PyTorch engine the way samtune needs it: offline (libtorch comes from the bundled
 * {@code pytorch-native-cpu} jar and is never downloaded), without usage tracking, and picks the
 * device for {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}.
 */
public final class Engines {

    /** DJL's name for its PyTorch engine. */
    public static final String PYTORCH = "PyTorch";

    private Engines() {
    }

    /**
     * The PyTorch engine, started offline. Settings already made by the user (system property
     * {@code ai.djl.offline}) are kept.
     */
    public static synchronized Engine pytorch() {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        return Engine.getEngine(PYTORCH);
    }

    /**
     * The device for a spec: {@code auto} (the first GPU when the engine sees one, else the CPU),
     * {@code cpu}, {@code gpu} (GPU 0) or {@code gpu:N}.
     *
     * @throws IllegalArgumentException for an unknown spec, or a GPU that the engine cannot see
     */
    public static Device device(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        Engine engine = pytorch();
        int gpus = engine.getGpuCount();
        if (s.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.equals("cuda") || s.startsWith("gpu:") || s.startsWith("cuda:")) {
            int id = s.contains(":") ? parseId(spec, s.substring(s.indexOf(':') + 1)) : 0;
            if (id >= gpus) {
                throw new IllegalArgumentException("device " + spec + " is not available: the PyTorch engine sees "
                        + gpus + " GPU(s) (libtorch " + engine.getVersion() + "). A CUDA GPU needs a CUDA build of"
                        + " libtorch; see README.md, section GPU.");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("unknown device '" + spec + "': use auto, cpu, gpu or gpu:N");
    }

    private static int parseId(String spec, String id) {
        try {
            int n = Integer.parseInt(id);
            if (n < 0) {
                throw new NumberFormatException("negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown device '" + spec + "': use auto, cpu, gpu or gpu:N", e);
        }
    }
}

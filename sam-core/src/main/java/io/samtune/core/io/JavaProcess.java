package io.samtune.core.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The command line of another Java process running one of samtune's classes (a sweep's trials, a
 * benchmark's workers): this process's JDK and class path, DJL offline, warnings only in the log,
 * and the JVM options in the environment variable {@value #OPTIONS} (the launcher's variable, so
 * {@code SAMTUNE_JAVA_OPTS=-Xmx8g samtune sweep ...} gives every trial 8 GB too).
 */
public final class JavaProcess {

    /** Environment variable with JVM options, split at whitespace, for every samtune process. */
    public static final String OPTIONS = "SAMTUNE_JAVA_OPTS";

    private JavaProcess() {
    }

    /**
     * The command line that runs a class's {@code main} with these arguments.
     *
     * @param main the class whose {@code main} the process runs
     * @param args its arguments
     * @return {@code java [options] -cp ... -Dai.djl.offline=true ... main args...}
     */
    public static List<String> command(Class<?> main, String... args) {
        return command(Map.of(), main, args);
    }

    /**
     * As {@link #command(Class, String...)}, with system properties for the process.
     *
     * @param properties each becomes {@code -Dkey=value}
     */
    public static List<String> command(Map<String, String> properties, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(split(System.getenv(OPTIONS)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add(main.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** JVM options as the launcher splits them: at whitespace; none for null or blank. */
    static List<String> split(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return List.of(value.trim().split("\\s+"));
    }
}

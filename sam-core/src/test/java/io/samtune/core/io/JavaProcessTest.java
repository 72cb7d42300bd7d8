package io.samtune.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of the Java processes samtune starts, and the options they get. */
class JavaProcessTest {

    @TempDir
    Path tmp;

    @Test
    void optionsAreSplitAsTheLauncherSplitsThem() {
        assertThat(JavaProcess.split(null)).isEmpty();
        assertThat(JavaProcess.split("  \t")).isEmpty();
        assertThat(JavaProcess.split(" -Xmx1g\t-Dx=y  -XX:+UseSerialGC ")).containsExactly("-Xmx1g", "-Dx=y",
                "-XX:+UseSerialGC");
    }

    @Test
    void aChildRunsTheClassWithItsArgumentsAndTheOptions() throws Exception {
        List<String> cmd = JavaProcess.command(Child.class, "one", "two words");
        assertThat(cmd.get(0)).endsWith("java");
        assertThat(cmd.subList(cmd.size() - 3, cmd.size())).containsExactly(Child.class.getName(), "one", "two words");
        Path out = tmp.resolve("child.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> lines = Files.readAllLines(out);
        assertThat(p.exitValue()).as("%s", lines).isZero();
        assertThat(lines).contains("args [one, two words]", "offline true");
        String options = System.getenv(JavaProcess.OPTIONS);
        assumeTrue(options != null && !options.isBlank(), JavaProcess.OPTIONS + " is not set in this environment");
        assertThat(lines).contains("jvm " + JavaProcess.split(options));
    }

    /** Prints what it was started with. */
    public static final class Child {
        public static void main(String[] args) {
            System.out.println("args " + List.of(args));
            System.out.println("offline " + System.getProperty("ai.djl.offline"));
            List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> a.startsWith("-X")).toList();
            System.out.println("jvm " + jvm);
        }
    }
}

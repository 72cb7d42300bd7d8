package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.data.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every {@code ./samtune} line of {@code docs/your-own-data.md} as written (on the bundled
 * phantoms and the bundled tiny model), with {@code runs/} and the embedding cache in a temporary
 * folder: the page's commands cannot drift from what works.
 */
class OwnDataDocsTest {

    @TempDir
    Path tmp;

    @Test
    void everyCommandOnThePageRuns() throws Exception {
        runEveryCommand("docs/your-own-data.md", tmp, 6);
        assertThat(tmp.resolve("runs/brats-report/per-slice.csv")).isRegularFile();
        assertThat(tmp.resolve("runs/png-masks/predictions.csv")).isRegularFile();
    }

    /**
     * Runs every {@code ./samtune} line of the page's bash blocks, paths under {@code testdata/} read
     * from the project, under {@code runs/} written to {@code tmp}, the cache in {@code tmp}; each must
     * exit 0.
     *
     * @return the out text of each command, in order
     */
    static List<String> runEveryCommand(String page, Path tmp, int atLeast) throws Exception {
        Path root = Fixtures.root();
        String text = Files.readString(root.resolve(page));
        Matcher block = Pattern.compile("```bash\n(.*?)```", Pattern.DOTALL).matcher(text);
        List<List<String>> commands = new ArrayList<>();
        while (block.find()) {
            for (String line : block.group(1).split("\n")) {
                String code = line.replaceFirst("\\s+#.*$", "").trim();
                if (code.startsWith("./samtune ")) {
                    commands.add(new ArrayList<>(List.of(code.substring("./samtune ".length()).split("\\s+"))));
                }
            }
        }
        assertThat(commands).hasSizeGreaterThanOrEqualTo(atLeast);
        List<String> outs = new ArrayList<>();
        String before = System.getProperty("samtune.root");
        System.setProperty("samtune.root", root.toString());
        try {
            for (List<String> c : commands) {
                List<String> args = new ArrayList<>();
                for (String a : c) {
                    args.add(a.startsWith("testdata/") ? root.resolve(a).toString()
                            : a.startsWith("runs/") ? tmp.resolve(a).toString() : a);
                }
                if (List.of("train", "test-accuracy", "cache").contains(args.get(0))) {
                    args.addAll(List.of("--cache", tmp.resolve("cache").toString()));
                }
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int exit = Samtune.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
                assertThat(exit).as("./samtune %s%n%s", String.join(" ", c), err).isZero();
                if (c.get(0).equals("dataset-info")) {
                    assertThat(err.toString()).contains("orientations found:").contains("labels present:");
                }
                outs.add(out.toString());
            }
        } finally {
            if (before == null) {
                System.clearProperty("samtune.root");
            } else {
                System.setProperty("samtune.root", before);
            }
        }
        return outs;
    }
}

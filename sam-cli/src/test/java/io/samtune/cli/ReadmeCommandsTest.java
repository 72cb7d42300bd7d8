package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code samtune} command line in README's shell examples names a command and options that
 * exist, with values of the right kind: the examples cannot drift from the CLI. They are parsed,
 * not run (they need ViT-B weights, SLURM or several machines).
 */
class ReadmeCommandsTest {

    /** Words that end a command on a shell line. */
    private static final Set<String> ENDS = Set.of("&", "&&", "||", "|", ";", ">", ">>", "2>", "2>&1");

    @Test
    void everySamtuneCommandLineInTheShellExamplesParses() throws Exception {
        StringBuilder all = new StringBuilder(Files.readString(Fixtures.root().resolve("README.md")));
        try (var docs = Files.list(Fixtures.root().resolve("docs"))) {
            for (java.nio.file.Path d : docs.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
                all.append('\n').append(Files.readString(d));
            }
        }
        String readme = all.toString();
        Matcher block = Pattern.compile("```bash\n(.*?)```", Pattern.DOTALL).matcher(readme);
        List<List<String>> commands = new ArrayList<>();
        while (block.find()) {
            for (String line : block.group(1).replace("\\\n", " ").split("\n")) {
                commands.addAll(samtuneCommands(words(line)));
            }
        }
        assertThat(commands).as("samtune command lines in README's ```bash blocks").hasSizeGreaterThan(10);
        List<String> subcommands = new ArrayList<>();
        for (List<String> c : commands) {
            List<String> args = c.subList(1, c.size());
            CommandLine cli = io.samtune.cli.command.Commands.commandLine(new Samtune()); // with its converters
            try {
                CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
                assertThat(parsed.hasSubcommand()).as("a command in: %s", c).isTrue();
                subcommands.add(parsed.subcommand().commandSpec().name());
            } catch (CommandLine.MissingParameterException e) {
                // an example that leaves required options out ("...") is still right about the others
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError("README's `" + String.join(" ", c) + "` does not parse: " + e.getMessage(), e);
            }
        }
        assertThat(subcommands).contains("train", "cache", "sweep", "certs", "test-accuracy");
    }

    /** The samtune commands on one shell line, also inside {@code bash -c '...'}. */
    private static List<List<String>> samtuneCommands(List<String> words) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("-c") && i > 0 && words.get(i - 1).equals("bash") && i + 1 < words.size()) {
                out.addAll(samtuneCommands(words(words.get(i + 1))));
                i++;
            } else if (w.equals("samtune") || w.equals("./samtune")) {
                List<String> c = new ArrayList<>();
                c.add(w);
                for (i++; i < words.size() && !ENDS.contains(words.get(i)); i++) {
                    String a = words.get(i);
                    String option = c.get(c.size() - 1);
                    if (a.equals("...")) {
                        continue;
                    }
                    if (a.startsWith("$")) {
                        a = "1"; // a shell variable or command substitution: a value the launcher gives
                    } else if (option.startsWith("--device") && a.contains("gpu")) {
                        a = "cpu"; // devices are checked as they are parsed, and this machine may have no GPU
                    }
                    c.add(a);
                }
                out.add(c);
            }
        }
        return out;
    }

    /** A shell line's words: quotes grouped and removed, a comment dropped. */
    private static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    w.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                inWord = true;
            } else if (ch == '#' && !inWord) {
                break;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(ch);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }
}

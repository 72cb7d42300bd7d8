package io.samtune.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;

/**
 * Runs a JShell script non-interactively ({@code samtune shell FILE.jsh}): the start-up imports
 * first, then each snippet in order, echoing values as JShell does; the first snippet that does
 * not compile or throws stops the run with exit status 1.
 */
public final class ScriptRunner {

    private ScriptRunner() {
    }

    /** Entry point: {@code ScriptRunner FILE.jsh}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: samtune shell [FILE.jsh]");
            System.exit(2);
        }
        System.exit(run(Path.of(args[0]), System.out, System.err));
    }

    /** Runs a script; returns 0 when every snippet ran, 1 at the first failure. */
    public static int run(Path script, PrintStream out, PrintStream err) throws IOException {
        if (!Files.isRegularFile(script)) {
            err.println("error: script " + script + " not found");
            return 1;
        }
        String source = startup() + "\n" + Files.readString(script);
        // snippets run in this JVM ("local" engine): their System.out is ours
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(out);
        System.setErr(err);
        try {
            return runSnippets(source, script, out, err);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static int runSnippets(String source, Path script, PrintStream out, PrintStream err) {
        try (JShell shell = JShell.builder().executionEngine("local").out(out).err(err).build()) {
            shell.addToClasspath(System.getProperty("java.class.path"));
            SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
            // as JShell reads a script: line by line, a snippet ends where its code is complete
            StringBuilder pending = new StringBuilder();
            for (String line : source.split("\n", -1)) {
                if (pending.length() == 0 && line.strip().length() > 1 && line.strip().charAt(0) == '/'
                        && Character.isLetter(line.strip().charAt(1))) {
                    String command = line.strip();
                    if (command.startsWith("/exit")) {
                        return 0;
                    }
                    err.println("error: JShell command " + command + " is not supported in scripts");
                    return 1;
                }
                pending.append(line).append('\n');
                while (true) {
                    SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(pending.toString());
                    SourceCodeAnalysis.Completeness c = info.completeness();
                    if (c == SourceCodeAnalysis.Completeness.EMPTY) {
                        pending.setLength(0);
                        break;
                    }
                    if (!c.isComplete() && c != SourceCodeAnalysis.Completeness.UNKNOWN) {
                        break; // read more lines
                    }
                    if (!eval(shell, info.source(), script, out, err)) {
                        return 1;
                    }
                    pending.setLength(0);
                    pending.append(info.remaining());
                    if (info.remaining().isBlank()) {
                        pending.setLength(0);
                        break;
                    }
                }
            }
            if (!pending.toString().isBlank()) {
                err.println("error: " + script + ": incomplete code at the end:\n" + pending.toString().strip());
                return 1;
            }
            return 0;
        }
    }

    private static boolean eval(JShell shell, String snippet, Path script, PrintStream out, PrintStream err) {
        List<SnippetEvent> events = shell.eval(snippet);
        for (SnippetEvent e : events) {
            if (e.status() == Snippet.Status.REJECTED) {
                err.println("error: " + script + ": this snippet does not compile:\n  " + snippet.strip());
                shell.diagnostics(e.snippet()).forEach(d -> err.println("  " + message(d)));
                return false;
            }
            if (e.exception() != null) {
                Throwable t = e.exception();
                String type = t instanceof EvalException ee ? ee.getExceptionClassName() : t.getClass().getName();
                err.println("error: " + script + ": this snippet threw " + type + ": " + t.getMessage() + "\n  "
                        + snippet.strip());
                return false;
            }
            if (e.causeSnippet() == null && e.value() != null && shouldEcho(e.snippet())) {
                String name = e.snippet() instanceof VarSnippet v ? v.name() : "$";
                out.println(name + " ==> " + e.value());
            }
        }
        return true;
    }

    private static boolean shouldEcho(Snippet s) {
        return s.kind() == Snippet.Kind.VAR || s.kind() == Snippet.Kind.EXPRESSION;
    }

    private static String message(Diag d) {
        return d.getMessage(null).replace('\n', ' ');
    }

    /** The start-up script shipped with samtune (imports of the public packages). */
    public static String startup() throws IOException {
        try (InputStream in = ScriptRunner.class.getResourceAsStream("samtune.jsh")) {
            if (in == null) {
                throw new IOException("samtune.jsh is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

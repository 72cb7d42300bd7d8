package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.data.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library page's example (docs/library.md) compiles against the library as it is (it needs ViT-B weights to run). */
class ReadmeExampleTest {

    @TempDir
    Path tmp;

    @Test
    void theLibraryApiExampleCompiles() throws Exception {
        String readme = Files.readString(Fixtures.root().resolve("docs/library.md"));
        int start = readme.indexOf("```java\n");
        assertThat(start).as("docs/library.md has a ```java block").isNotNegative();
        String block = readme.substring(start + 8, readme.indexOf("```", start + 8));
        StringBuilder imports = new StringBuilder("import java.nio.file.*;\nimport java.util.*;\n");
        StringBuilder body = new StringBuilder();
        for (String line : block.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        Path source = tmp.resolve("ReadmeExample.java");
        Files.writeString(source, imports + "public class ReadmeExample {\n    public static void main(String[] args)"
                + " throws Exception {\n" + body + "    }\n}\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = new ArrayList<>(List.of("-d", tmp.toString(), "-classpath",
                    System.getProperty("java.class.path")));
            boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(source)).call();
            assertThat(ok).as("docs/library.md's example does not compile:%n%s%n%s", diagnostics.getDiagnostics(),
                    Files.readString(source)).isTrue();
        }
        assertThat(tmp.resolve("ReadmeExample.class")).isRegularFile();
    }
}

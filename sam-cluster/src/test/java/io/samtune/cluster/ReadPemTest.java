package io.samtune.cluster;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file that is not a PEM certificate is named in plain words, without the JDK's "Empty input". */
class ReadPemTest {

    @TempDir
    Path tmp;

    @Test
    void nonCertificatesAreRefusedInPlainWords() throws Exception {
        Path passwd = Files.writeString(tmp.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        Path empty = Files.write(tmp.resolve("empty.pem"), new byte[0]);
        for (Path p : new Path[] {passwd, empty}) {
            assertThatThrownBy(() -> ClusterTls.readPem(p)).hasMessageStartingWith(p + ": not a PEM certificate")
                    .hasMessageContaining("BEGIN CERTIFICATE").hasMessageNotContaining("Empty input")
                    .hasMessageNotContaining("Exception");
        }
        assertThatThrownBy(() -> ClusterTls.readPem(tmp)).hasMessageContaining("certificate not found");
    }
}

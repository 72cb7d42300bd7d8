package io.samtune.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** host:port as options and settings files write it. */
class HostPortTest {

    @Test
    void theLastColonSeparatesThePort() {
        assertThat(HostPort.parse("127.0.0.1:7801", "--peers")).isEqualTo(new HostPort("127.0.0.1", 7801));
        assertThat(HostPort.parse("node-3.cluster:7800", "x").toString()).isEqualTo("node-3.cluster:7800");
        for (String bad : new String[] {"7800", ":7800", "host:", "host:0", "host:70000", "host:x"}) {
            assertThatThrownBy(() -> HostPort.parse(bad, "federation setting 'bind'"))
                    .hasMessageContaining("federation setting 'bind' must be host:port").hasMessageContaining(bad);
        }
    }
}

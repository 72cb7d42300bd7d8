package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** federation.json: defaults, settings read back as written, mistakes refused by name. */
class FederationConfigTest {

    private static FederationConfig parse(String extra) {
        return FederationConfig.fromJson(JsonParser.parseString("{\"site\": \"site-a\", \"peers\": [\"127.0.0.1:7801\"],"
                + " \"keystore\": \"a.p12\", \"ca\": \"ca.pem\", \"allowedSites\": [\"site-a\", \"site-b\"]" + extra + "}"));
    }

    @Test
    void startPeersDefaultsToMinPeersAndIsReadBack() {
        FederationConfig c = parse(", \"minPeers\": 2");
        assertThat(c.startPeers()).isEqualTo(2);
        assertThat(parse("").startPeers()).isEqualTo(parse("").minPeers()).isEqualTo(2);
        FederationConfig all = parse(", \"minPeers\": 1, \"startPeers\": 2");
        assertThat(all.startPeers()).isEqualTo(2);
        assertThat(FederationConfig.fromJson(all.toJson())).isEqualTo(all);
    }

    @Test
    void aStartPeersBelowOneOrATypoIsRefusedByName() {
        assertThatThrownBy(() -> parse(", \"startPeers\": 0")).hasMessageContaining("'startPeers'")
                .hasMessageContaining(">= 1");
        assertThatThrownBy(() -> parse(", \"startPeer\": 3")).hasMessageContaining("startPeer");
        assertThatThrownBy(() -> parse(", \"startPeers\": 3")).hasMessageContaining("'startPeers'")
                .hasMessageContaining("at most the number of allowedSites (2)");
        assertThatThrownBy(() -> parse(", \"minPeers\": 3")).hasMessageContaining("'minPeers'");
    }
}

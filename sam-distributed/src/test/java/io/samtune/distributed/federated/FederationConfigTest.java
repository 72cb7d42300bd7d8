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

    @Test
    void mergeIsAStrategyWithSettingsReadBackAsWritten() {
        FederationConfig plain = parse(", \"merge\": \"coordmedian\"");
        assertThat(plain.merge().name()).isEqualTo("coordmedian");
        FederationConfig adam = parse(", \"merge\": {\"strategy\": \"fedadam\", \"serverLr\": 0.05}");
        assertThat(adam.merge().describe()).contains("fedadam").contains("serverLr 0.05");
        assertThat(FederationConfig.fromJson(adam.toJson())).isEqualTo(adam);
        assertThat(parse("").merge().name()).isEqualTo("mean");
        assertThatThrownBy(() -> parse(", \"merge\": {\"strategy\": \"fedadam\", \"serverLr\": 50}"))
                .hasMessageContaining("serverLr");
    }

    @Test
    void siteWeightsAreTheConsortiumsAndBounded() {
        FederationConfig c = parse(", \"siteWeights\": {\"site-b\": 2.5}");
        assertThat(c.siteWeights()).containsEntry("site-b", 2.5).hasSize(1);
        assertThat(FederationConfig.fromJson(c.toJson())).isEqualTo(c);
        assertThatThrownBy(() -> parse(", \"siteWeights\": {\"site-b\": 1e9}")).hasMessageContaining("'siteWeights'")
                .hasMessageContaining("0 to 1000").hasMessageContaining("site-b");
        assertThatThrownBy(() -> parse(", \"siteWeights\": {\"site-z\": 1}")).hasMessageContaining("'site-z' is not one");
        assertThatThrownBy(() -> parse(", \"siteWeights\": {\"site-b\": \"2\"}")).hasMessageContaining("a number for 'site-b'");
        // a site's own weight is not its to declare
        assertThatThrownBy(() -> parse(", \"weight\": 1e9")).hasMessageContaining("'weight' is not read")
                .hasMessageContaining("siteWeights");
    }

    @Test
    void durationsAndSizesThatCouldHangOrExplodeAreRefusedByName() {
        assertThatThrownBy(() -> parse(", \"failureTimeoutSeconds\": 1e300")).hasMessageContaining("'failureTimeoutSeconds'");
        assertThatThrownBy(() -> parse(", \"failureTimeoutSeconds\": 300")).hasMessageContaining("0.5 to 120");
        assertThatThrownBy(() -> parse(", \"failureTimeoutSeconds\": 20, \"roundTimeoutSeconds\": 10"))
                .hasMessageContaining("less than roundTimeoutSeconds (10)");
        assertThatThrownBy(() -> parse(", \"roundTimeoutSeconds\": 100000000")).hasMessageContaining("'roundTimeoutSeconds'");
        assertThatThrownBy(() -> parse(", \"clipNorm\": 1e200, \"noiseMultiplier\": 1e200"))
                .hasMessageContaining("'clipNorm'");
        assertThatThrownBy(() -> parse(", \"clipNorm\": 1, \"noiseMultiplier\": 1e200"))
                .hasMessageContaining("'noiseMultiplier'");
        assertThatThrownBy(() -> parse(", \"syncEvery\": 2000000000")).hasMessageContaining("'syncEvery'");
    }
}

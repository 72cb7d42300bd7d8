package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.samtune.data.Fixtures;
import io.samtune.distributed.federated.FederationConfig;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/federated.md's federation.json example is read as written, and its strategy table names every strategy. */
class FederatedDocsTest {

    @Test
    void theFederationJsonExampleIsReadAsWritten() throws Exception {
        String doc = Files.readString(Fixtures.root().resolve("docs/federated.md"));
        Matcher block = Pattern.compile("```json\n(.*?)```", Pattern.DOTALL).matcher(doc);
        List<FederationConfig> configs = new ArrayList<>();
        while (block.find()) {
            configs.add(FederationConfig.fromJson(JsonParser.parseString(block.group(1))));
        }
        assertThat(configs).hasSize(1);
        FederationConfig c = configs.get(0);
        assertThat(c.merge().name()).isEqualTo("trimmedmean");
        assertThat(c.shardedMerge()).isTrue();
        assertThat(c.siteWeights()).containsEntry("site-c", 2.0);
        assertThat(c.crl()).isNotNull();
        for (String strategy : List.of("mean", "coordmedian", "trimmedmean", "geomedian", "fedavgm", "fedadam", "fedyogi")) {
            assertThat(doc).contains("| `" + strategy + "`");
            io.samtune.distributed.federated.aggregation.Aggregations.parse(strategy);
        }
    }
}

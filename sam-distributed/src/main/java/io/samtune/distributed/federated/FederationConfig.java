package io.samtune.distributed.federated;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.data.ConfigJson;
import io.samtune.distributed.federated.aggregation.Aggregation;
import io.samtune.distributed.federated.aggregation.Aggregations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A site's {@code federation.json}: who it is, where it listens, how it finds the others, when
 * and how the sites merge, and its certificate.
 *
 * @param site this site's name (its certificate's common name, unique in the federation)
 * @param bindHost the address this site listens on
 * @param bindPort its port
 * @param peers {@code host:port} of the sites (TCPPING), or empty with {@code rendezvous}
 * @param rendezvous a folder every site shares (FILE_PING), or null with {@code peers}
 * @param minPeers sites (this one included) that must be present for a round
 * @param startPeers sites (this one included) that must be present before the first step; usually
 *     {@code minPeers}, or all the sites so that none starts late and out of step with the others
 * @param syncEvery optimizer steps between rounds
 * @param merge how the decoders are merged: an aggregation strategy and its settings
 * @param siteWeights the consortium's weight of each site (multiplies the samples it trained on
 *     since the last round; 1 for a site not listed); every site holds the same, checked at joining
 * @param roundTimeoutSeconds how long a site waits for peers or a round before it gives up
 * @param keystore this site's PKCS#12 keystore (key and certificate chain)
 * @param ca the consortium's CA certificate (PEM)
 * @param allowedSites the names accepted as peers
 * @param proximalMu the FedProx term's weight (0: off)
 * @param clipNorm the norm each update sent is clipped to (0: off)
 * @param noiseMultiplier Gaussian noise of standard deviation {@code noiseMultiplier * clipNorm} on each sent update (0: off)
 * @param failureTimeoutSeconds how long a silent site is kept before it counts as gone
 * @param group the federation's name (sites of one federation share it)
 * @param crl the consortium CA's revocation list ({@code samtune certs revoke}), or null
 * @param shardedMerge whether each site merges a slice of the coordinates (a round's traffic and
 *     work shared among the sites; the default) rather than one site merging all
 */
public record FederationConfig(String site, String bindHost, int bindPort, List<String> peers, Path rendezvous,
                               int minPeers, int startPeers, int syncEvery, Aggregation merge, Map<String, Double> siteWeights,
                               int roundTimeoutSeconds,
                               Path keystore, Path ca, List<String> allowedSites, double proximalMu, double clipNorm,
                               double noiseMultiplier, double failureTimeoutSeconds, String group, Path crl,
                               boolean shardedMerge) {

    /** The most sites, peers and allowed names a federation lists. */
    public static final int MAX_SITES = 256;

    /** Validates, naming the key. */
    public FederationConfig {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(merge, "merge");
        peers = List.copyOf(peers);
        allowedSites = List.copyOf(allowedSites);
        siteWeights = java.util.Collections.unmodifiableMap(new TreeMap<>(siteWeights));
        require(!site.isBlank() && site.matches("[A-Za-z0-9._-]{1,64}"), "site",
                "a name of letters, digits, '.', '_' or '-' (its certificate's name)");
        require(bindPort >= 1 && bindPort <= 65535, "bind", "host:port with a port 1..65535");
        require(rendezvous != null || !peers.isEmpty(), "peers", "the sites' host:port list (or \"rendezvous\": a shared folder)");
        require(minPeers >= 1, "minPeers", ">= 1");
        require(startPeers >= 1, "startPeers", ">= 1");
        require(syncEvery >= 1 && syncEvery <= 1_000_000, "syncEvery", "1 to 1000000 (optimizer steps between rounds)");
        require(roundTimeoutSeconds >= 1 && roundTimeoutSeconds <= 86_400, "roundTimeoutSeconds", "1 to 86400");
        require(peers.size() <= MAX_SITES, "peers", "at most " + MAX_SITES + " host:port entries");
        require(allowedSites.size() <= MAX_SITES, "allowedSites", "at most " + MAX_SITES + " names");
        for (Map.Entry<String, Double> w : siteWeights.entrySet()) {
            require(allowedSites.contains(w.getKey()), "siteWeights", "weights of allowedSites only ('" + w.getKey()
                    + "' is not one)");
            require(w.getValue() >= 0 && w.getValue() <= 1000, "siteWeights", "0 to 1000 for each site ('" + w.getKey()
                    + "' has " + w.getValue() + ")");
        }
        require(keystore != null, "keystore", "this site's .p12 file (samtune certs site)");
        require(ca != null, "ca", "the consortium's ca.pem");
        require(allowedSites.contains(site), "allowedSites", "a list of site names that includes this site ('" + site + "')");
        require(minPeers <= allowedSites.size(), "minPeers", "at most the number of allowedSites (" + allowedSites.size()
                + "): more sites could never be present");
        require(startPeers <= allowedSites.size(), "startPeers", "at most the number of allowedSites ("
                + allowedSites.size() + "): more sites could never be present");
        require(proximalMu >= 0 && proximalMu <= 1000, "proximalMu", "0 to 1000");
        require(clipNorm >= 0 && clipNorm <= 1e6, "clipNorm", "0 to 1e6");
        require(noiseMultiplier >= 0 && noiseMultiplier <= 100, "noiseMultiplier", "0 to 100");
        require(noiseMultiplier == 0 || clipNorm > 0, "noiseMultiplier", "0 unless clipNorm is set (noise is scaled by it)");
        require(failureTimeoutSeconds >= 0.5 && failureTimeoutSeconds <= 120, "failureTimeoutSeconds", "0.5 to 120");
        require(failureTimeoutSeconds < roundTimeoutSeconds, "failureTimeoutSeconds", "less than roundTimeoutSeconds ("
                + roundTimeoutSeconds + ")");
    }

    /** Settings without a revocation list. */
    public FederationConfig(String site, String bindHost, int bindPort, List<String> peers, Path rendezvous,
                            int minPeers, int startPeers, int syncEvery, Aggregation merge, Map<String, Double> siteWeights,
                            int roundTimeoutSeconds, Path keystore, Path ca, List<String> allowedSites, double proximalMu,
                            double clipNorm, double noiseMultiplier, double failureTimeoutSeconds, String group) {
        this(site, bindHost, bindPort, peers, rendezvous, minPeers, startPeers, syncEvery, merge, siteWeights,
                roundTimeoutSeconds, keystore, ca, allowedSites, proximalMu, clipNorm, noiseMultiplier,
                failureTimeoutSeconds, group, null, true);
    }

    /** These settings with the sharded merge on or off. */
    public FederationConfig withShardedMerge(boolean on) {
        return new FederationConfig(site, bindHost, bindPort, peers, rendezvous, minPeers, startPeers, syncEvery, merge,
                siteWeights, roundTimeoutSeconds, keystore, ca, allowedSites, proximalMu, clipNorm, noiseMultiplier,
                failureTimeoutSeconds, group, crl, on);
    }

    private static void require(boolean ok, String key, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("federation setting '" + key + "' must be " + expected);
        }
    }

    /**
     * Reads a {@code federation.json}; relative paths in it are taken from the working folder when
     * they exist there, else from the file's folder.
     *
     * @throws IOException naming the file and the key at fault
     */
    public static FederationConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such federation file (see README, Federated training)");
        }
        JsonElement json = io.samtune.data.StrictJson.read(file);
        try {
            FederationConfig c = fromJson(json);
            Path base = file.toAbsolutePath().getParent();
            return c.withPaths(resolve(c.keystore, base), resolve(c.ca, base),
                    c.rendezvous == null ? null : resolve(c.rendezvous, base), c.crl == null ? null : resolve(c.crl, base));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static Path resolve(Path p, Path base) {
        return p.isAbsolute() || Files.exists(p) || base == null ? p : base.resolve(p);
    }

    private FederationConfig withPaths(Path keystore, Path ca, Path rendezvous, Path crl) {
        return new FederationConfig(site, bindHost, bindPort, peers, rendezvous, minPeers, startPeers, syncEvery, merge,
                siteWeights, roundTimeoutSeconds, keystore, ca, allowedSites, proximalMu, clipNorm, noiseMultiplier,
                failureTimeoutSeconds, group, crl, shardedMerge);
    }

    /** The settings from JSON (unknown keys and wrong types refused by name). */
    public static FederationConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("federation", json);
        String site = j.string("site", null);
        if (site == null) {
            throw new IllegalArgumentException("federation setting 'site' is missing (this site's name)");
        }
        io.samtune.cluster.HostPort bind = io.samtune.cluster.HostPort.parse(j.string("bind", "127.0.0.1:7800"),
                "federation setting 'bind'");
        for (String peer : strings(j, "peers")) {
            io.samtune.cluster.HostPort.parse(peer, "each of federation setting 'peers'");
        }
        int minPeers = j.int32("minPeers", 2);
        if (j.has("weight")) {
            throw new IllegalArgumentException("federation setting 'weight' is not read: a site's weight is the"
                    + " consortium's, set in \"siteWeights\": {\"site-a\": 2.0, ...}, the same in every site's file");
        }
        FederationConfig c = new FederationConfig(site, bind.host(), bind.port(), strings(j, "peers"),
                j.path("rendezvous", null), minPeers, j.int32("startPeers", minPeers), j.int32("syncEvery", 5),
                j.has("merge") ? Aggregations.parse(j.element("merge")) : Aggregations.parse("mean"),
                weights(j), j.int32("roundTimeoutSeconds", 120),
                j.path("keystore", null), j.path("ca", null), strings(j, "allowedSites"), j.number("proximalMu", 0),
                j.number("clipNorm", 0), j.number("noiseMultiplier", 0), j.number("failureTimeoutSeconds", 6),
                j.string("group", "samtune-federation"), j.path("crl", null), j.bool("shardedMerge", true));
        j.finish();
        return c;
    }

    private static Map<String, Double> weights(ConfigJson j) {
        JsonElement e = j.element("siteWeights");
        Map<String, Double> out = new TreeMap<>();
        if (e == null) {
            return out;
        }
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("federation setting 'siteWeights' must be an object of site names and"
                    + " numbers, such as {\"site-a\": 2.0}");
        }
        for (Map.Entry<String, JsonElement> w : e.getAsJsonObject().entrySet()) {
            JsonElement v = w.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException("federation setting 'siteWeights' must give a number for '" + w.getKey()
                        + "', has " + v);
            }
            out.put(w.getKey(), v.getAsDouble());
        }
        return out;
    }

    /** The consortium's site weights as JSON (sites not listed weigh 1). */
    public JsonObject siteWeightsJson() {
        JsonObject o = new JsonObject();
        siteWeights.forEach(o::addProperty);
        return o;
    }

    private static List<String> strings(ConfigJson j, String key) {
        JsonElement e = j.element(key);
        List<String> out = new ArrayList<>();
        if (e == null) {
            return out;
        }
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException("federation setting '" + key + "' must be a list of strings");
        }
        for (JsonElement x : e.getAsJsonArray()) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException("federation setting '" + key + "' must be a list of strings, has " + x);
            }
            out.add(x.getAsString());
        }
        return out;
    }

    /** The settings as JSON ({@link #fromJson} reads them back). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("site", site);
        o.addProperty("bind", bindHost + ":" + bindPort);
        JsonArray p = new JsonArray();
        peers.forEach(p::add);
        o.add("peers", p);
        if (rendezvous != null) {
            o.addProperty("rendezvous", rendezvous.toString());
        }
        o.addProperty("minPeers", minPeers);
        o.addProperty("startPeers", startPeers);
        o.addProperty("syncEvery", syncEvery);
        o.add("merge", merge.toJson());
        o.add("siteWeights", siteWeightsJson());
        o.addProperty("roundTimeoutSeconds", roundTimeoutSeconds);
        o.addProperty("keystore", keystore.toString());
        o.addProperty("ca", ca.toString());
        JsonArray a = new JsonArray();
        allowedSites.forEach(a::add);
        o.add("allowedSites", a);
        o.addProperty("proximalMu", proximalMu);
        o.addProperty("clipNorm", clipNorm);
        o.addProperty("noiseMultiplier", noiseMultiplier);
        o.addProperty("failureTimeoutSeconds", failureTimeoutSeconds);
        o.addProperty("group", group);
        if (crl != null) {
            o.addProperty("crl", crl.toString());
        }
        o.addProperty("shardedMerge", shardedMerge);
        return o;
    }
}

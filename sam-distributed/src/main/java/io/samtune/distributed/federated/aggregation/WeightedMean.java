package io.samtune.distributed.federated.aggregation;

import java.util.List;

/**
 * "mean" (FedAvg): the weighted mean, coordinate by coordinate, bit for bit as
 * the former closed merge MEAN. Stateless; tolerates no faulty site.
 */
public record WeightedMean() implements Aggregation {

    @Override
    public String name() {
        return "mean";
    }

    @Override
    public Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state) {
        Updates u = Updates.of(global, updates);
        Stateless.check(name(), state, global.length);
        double[] mean = u.mean();
        float[] out = new float[mean.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) mean[i];
        }
        return new Result(out, Stateless.next(state));
    }

    @Override
    public int tolerates(int sites) {
        return 0;
    }
}

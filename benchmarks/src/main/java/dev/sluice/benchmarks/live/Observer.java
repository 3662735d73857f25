package dev.sluice.benchmarks.live;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The benchmark's own two watches: the namespace's {@code sluice-config} (which document generation first carried
 * each limit the benchmark patched in, and when) and the RateLimitPolicy (when its status first said Ready for each
 * generation, and when it first counted every pod as enforcing it). One watch each: what a {@code kubectl get -w} costs.
 */
final class Observer implements AutoCloseable {
    /** When something was first seen, in epoch microseconds, and the document generation it is about (for the ConfigMap). */
    record Seen(long epochMicros, long generation) {
    }

    private final Clock clock;
    private final String policy;
    private final String rule;
    private final Map<Long, Seen> documentByLimit = new ConcurrentHashMap<>();
    private final Map<Long, Seen> readyByGeneration = new ConcurrentHashMap<>();
    private final Map<Long, Seen> enforcedByGeneration = new ConcurrentHashMap<>();
    private final int pods;
    private volatile boolean liveStatus;
    private final Watch configMapWatch;
    private final Watch policyWatch;

    Observer(KubernetesClient client, String namespace, String policy, String rule, int pods, Clock clock) {
        this.clock = clock;
        this.policy = policy;
        this.rule = rule;
        this.pods = pods;
        this.configMapWatch = client.configMaps().inNamespace(namespace).withName(InjectionNames.CONFIG_MAP).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap configMap) {
                document(configMap);
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
        this.policyWatch = client.genericKubernetesResources("sluice.dev/v1alpha1", "RateLimitPolicy").inNamespace(namespace).withName(policy)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource resource) {
                        status(resource);
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                });
    }

    private long now() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
    }

    private void document(ConfigMap configMap) {
        long at = now();
        String text = configMap.getData() == null ? null : configMap.getData().get("sidecar.yaml");
        if (text == null) {
            return;
        }
        SidecarConfig document;
        try {
            document = ConfigLoader.parseUnvalidated(text);
        } catch (InvalidConfigException e) {
            return;
        }
        if (document.generation() == null) {
            return;
        }
        for (PolicyConfig candidate : document.policies()) {
            if (candidate.name().equals(policy)) {
                candidate.rules().stream().filter(r -> r.name().equals(rule)).findFirst()
                        .ifPresent(r -> documentByLimit.putIfAbsent(r.limits().get(0).requests(), new Seen(at, document.generation())));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void status(GenericKubernetesResource resource) {
        long at = now();
        Object statusValue = resource.getAdditionalProperties().get("status");
        if (!(statusValue instanceof Map<?, ?> status)) {
            return;
        }
        long generation = resource.getMetadata().getGeneration();
        Object enforcing = status.get("enforcingPods");
        if (enforcing != null || status.get("enforcing") != null) {
            liveStatus = true;
        }
        Object conditions = status.get("conditions");
        if (!(conditions instanceof List<?> list)) {
            return;
        }
        for (Object item : list) {
            Map<String, Object> condition = (Map<String, Object>) item;
            Object observed = condition.get("observedGeneration");
            if ("Ready".equals(condition.get("type")) && "True".equals(condition.get("status"))
                    && observed instanceof Number number && number.longValue() == generation) {
                readyByGeneration.putIfAbsent(generation, new Seen(at, generation));
                if (enforcing instanceof Number count && count.intValue() >= pods) {
                    enforcedByGeneration.putIfAbsent(generation, new Seen(at, generation));
                }
            }
        }
    }

    /** The document that first carried {@code limit}; null until the ConfigMap has it. */
    Seen documentWith(long limit) {
        return documentByLimit.get(limit);
    }

    /** When the policy's status first said Ready=True for {@code generation} (whatever the reason). */
    Seen ready(long generation) {
        return readyByGeneration.get(generation);
    }

    /** When the status first said Ready=True for {@code generation} with every pod enforcing it; null before, or without live status. */
    Seen enforced(long generation) {
        return enforcedByGeneration.get(generation);
    }

    /** Whether the operator writes live status ({@code enforcingPods}) at all. */
    boolean liveStatus() {
        return liveStatus;
    }

    @Override
    public void close() {
        configMapWatch.close();
        policyWatch.close();
    }
}

package dev.sluice.operator.audit;

import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.status.EventRecorder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes pods that run without the sidecar they should have visible. The enabled and opt-in injection
 * webhooks fail open (a pod starts without the sidecar when the operator cannot be reached), and the
 * injector leaves a pod alone when it cannot take its port over safely; this finds those pods: every
 * {@link #INTERVAL} the leader lists the namespaces labelled {@code sluice.dev/inject} and their pods
 * (and pods opting in elsewhere), records a Warning Event {@value #REASON} once per pod, and sets the
 * gauge {@code sluice_pods_without_sidecar{namespace}}.
 *
 * <p>Never the operator's own namespace or kube-system, which the webhooks never select. With watched
 * namespaces, only those (the operator may list pods nowhere else).
 */
public final class SidecarAuditor implements AutoCloseable {
    public static final String REASON = "SidecarMissing";
    public static final String GAUGE = "sluice_pods_without_sidecar";
    static final Duration INTERVAL = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(SidecarAuditor.class);

    private final KubernetesClient client;
    private final Set<String> watched;
    private final Set<String> never;
    private final EventRecorder events;
    private final MultiGauge gauge;
    /** The uids of the pods reported, while they stay without the sidecar: one Event per pod, and a bounded set. */
    private final Set<String> reported = new HashSet<>();
    private String lastFailure;
    private ScheduledExecutorService scheduler;

    /**
     * @param watched the namespaces the operator watches; empty: all
     * @param operatorNamespace the operator's own namespace, never audited
     */
    public SidecarAuditor(KubernetesClient client, Set<String> watched, String operatorNamespace, EventRecorder events,
            MeterRegistry registry) {
        this.client = client;
        this.watched = Set.copyOf(watched);
        this.never = operatorNamespace == null ? Set.of("kube-system") : Set.of("kube-system", operatorNamespace);
        this.events = events;
        this.gauge = MultiGauge.builder(GAUGE)
                .description("Running pods that should carry the Sluice sidecar and do not (each has a Warning Event " + REASON + ")")
                .register(registry);
    }

    /** Audits now, then every {@link #INTERVAL} in the background, until {@link #close()} (the leader starts it). */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sidecar-auditor");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::auditLogged, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("Auditing pods for the Sluice sidecar every {} s", INTERVAL.toSeconds());
    }

    /** Stops auditing and withdraws the gauge, so that a replica that no longer leads exports no stale counts. */
    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                // An audit under way would set the gauge again after it is withdrawn below.
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
        synchronized (reported) {
            gauge.register(List.of(), true);
            reported.clear();
        }
    }

    private void auditLogged() {
        try {
            audit();
            lastFailure = null;
        } catch (KubernetesClientException e) {
            // Every 30 s while the API server refuses: said once, and again when it changes.
            if (!e.getMessage().equals(lastFailure)) {
                LOG.warn("Cannot audit pods for the Sluice sidecar (the last counts stay): {}", e.getMessage());
                lastFailure = e.getMessage();
            }
        } catch (RuntimeException e) {
            LOG.error("Auditing pods for the Sluice sidecar failed", e);
        }
    }

    /** One audit: lists, records an Event for each pod newly found without the sidecar, sets the gauge. */
    AuditFindings audit() {
        Map<String, String> labelled = labelledNamespaces();
        Map<String, String> modes = new TreeMap<>(labelled);
        modes.values().removeIf(mode -> !mode.equals(InjectionNames.NAMESPACE_ENABLED) && !mode.equals(InjectionNames.NAMESPACE_REQUIRED));
        List<Pod> pods = new ArrayList<>();
        for (String namespace : modes.keySet()) {
            pods.addAll(client.pods().inNamespace(namespace).list().getItems());
        }
        pods.addAll(optingIn(labelled.keySet()));
        AuditFindings findings = AuditFindings.of(modes, pods);
        synchronized (reported) {
            Set<String> stillMissing = new HashSet<>();
            Map<String, Set<String>> toldBefore = new HashMap<>();
            for (AuditFindings.Missing missing : findings.missing()) {
                stillMissing.add(missing.uid());
                String namespace = missing.pod().getMetadata().getNamespace();
                if (reported.add(missing.uid()) && !toldBefore.computeIfAbsent(namespace, this::podsToldBefore).contains(missing.uid())) {
                    events.record(missing.pod(), EventRecorder.WARNING, REASON, missing.reason());
                }
            }
            reported.retainAll(stillMissing);
            gauge.register(findings.missingByNamespace().entrySet().stream()
                    .map(entry -> MultiGauge.Row.of(Tags.of("namespace", entry.getKey()), entry.getValue()))
                    .collect(Collectors.toList()), true);
        }
        return findings;
    }

    /**
     * The pods of a namespace an earlier leader (or this process before a restart) told already: leadership
     * moves on every rolling upgrade, and each pod should still be told once. Read only for a namespace
     * with a pod this process has not told, so at most once per namespace after it starts leading. Events
     * live an hour (the API server's --event-ttl): a pod may be told again after that.
     */
    private Set<String> podsToldBefore(String namespace) {
        try {
            return client.v1().events().inNamespace(namespace).list().getItems().stream()
                    .filter(event -> REASON.equals(event.getReason()) && event.getInvolvedObject() != null)
                    .map(event -> event.getInvolvedObject().getUid()).collect(Collectors.toSet());
        } catch (KubernetesClientException e) {
            LOG.debug("Cannot read the Events of namespace {}: pods there may be told twice: {}", namespace, e.getMessage());
            return Set.of();
        }
    }

    /**
     * The audited namespaces labelled {@code sluice.dev/inject}, with its value: {@code enabled} and {@code required}
     * select a webhook; any other value none, and keeps the opt-in webhook away too (it wants no label at all).
     */
    private Map<String, String> labelledNamespaces() {
        Map<String, String> modes = new TreeMap<>();
        for (Namespace namespace : client.namespaces().withLabel(InjectionNames.LABEL).list().getItems()) {
            String name = namespace.getMetadata().getName();
            if (audited(name)) {
                modes.put(name, namespace.getMetadata().getLabels().get(InjectionNames.LABEL));
            }
        }
        return modes;
    }

    /** Pods labelled {@code sluice.dev/inject: "true"} in the audited namespaces without the label. */
    private List<Pod> optingIn(Set<String> labelled) {
        if (watched.isEmpty()) {
            return client.pods().inAnyNamespace().withLabel(InjectionNames.LABEL, InjectionNames.POD_OPT_IN).list().getItems().stream()
                    .filter(pod -> audited(pod.getMetadata().getNamespace()) && !labelled.contains(pod.getMetadata().getNamespace()))
                    .toList();
        }
        List<Pod> pods = new ArrayList<>();
        for (String namespace : watched) {
            if (audited(namespace) && !labelled.contains(namespace)) {
                pods.addAll(client.pods().inNamespace(namespace).withLabel(InjectionNames.LABEL, InjectionNames.POD_OPT_IN).list().getItems());
            }
        }
        return pods;
    }

    private boolean audited(String namespace) {
        return !never.contains(namespace) && (watched.isEmpty() || watched.contains(namespace));
    }
}

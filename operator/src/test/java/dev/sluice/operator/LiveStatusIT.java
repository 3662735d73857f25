package dev.sluice.operator;

import static dev.sluice.operator.FakeSidecar.breaker;
import static dev.sluice.operator.FakeSidecar.report;
import static dev.sluice.operator.FakeSidecar.resource;
import static dev.sluice.operator.FakeSidecar.rule;
import static dev.sluice.operator.Resources.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.report.LiveEvents;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Live status end to end in one JVM: the operator on the Fabric8 mock API server reads pods' reports from real local
 * HTTP servers (one per pod, on its own loopback address) that serve the contract's JSON, and writes what they say into
 * the resources' status, conditions and Events. Each test works in its own namespace.
 */
@EnableKubernetesMockClient(crud = true)
class LiveStatusIT {
    static KubernetesClient client;
    private static SluiceOperator operator;
    private static final Map<String, URI> URIS = new ConcurrentHashMap<>();
    private static final List<FakeSidecar> SIDECARS = new ArrayList<>();
    private static final Instant LONG_AGO = Instant.parse("2026-01-01T00:00:00Z");
    private static int nextAddress = 2;

    @BeforeAll
    static void startOperator() {
        MockCluster.registerCrds(client);
        operator = SluiceOperator.start(client, OperatorSettings.forTests().withReportInterval(Duration.ofMillis(500)), Clock.systemUTC(), null,
                pod -> URIS.getOrDefault(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), URI.create("http://127.0.0.1:1/report")));
    }

    @AfterAll
    static void stopOperator() {
        operator.close();
        SIDECARS.forEach(FakeSidecar::close);
    }

    @Test
    void aPatchIsPropagatingUntilEverySidecarEnforcesItsGeneration() {
        String ns = "patch";
        FakeSidecar a = sidecarPod(ns, "a").answer(report(1, resource("RateLimitPolicy", "api", 1), "", "", null));
        FakeSidecar b = sidecarPod(ns, "b").answer(report(1, resource("RateLimitPolicy", "api", 1), "", "", null));
        client.resource(policy(ns, "api").selecting("app", "web").rule(Resources.rule("burst", 100, "1s")).build()).create();

        awaitAtMost().untilAsserted(() -> {
            assertThat(ready(policyStatus(ns, "api"))).satisfies(ready -> {
                assertThat(ready.getStatus()).isEqualTo("True");
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_ENFORCED);
                assertThat(ready.getMessage()).isEqualTo("enforced by 2 of 2 selected pods at generation 1");
            });
            assertThat(policyStatus(ns, "api").enforcing()).isEqualTo("2/2");
            assertThat(policyStatus(ns, "api").podsWithSidecar()).isEqualTo(2);
            assertThat(policyStatus(ns, "api").enforcedGeneration()).isEqualTo(1L);
        });

        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("api")
                .edit(policy -> policy(ns, "api").selecting("app", "web").rule(Resources.rule("burst", 50, "1s")).build());
        awaitAtMost().untilAsserted(() -> {
            ResourceStatus status = policyStatus(ns, "api");
            assertThat(ready(status).getReason()).isEqualTo(Conditions.REASON_PROPAGATING);
            assertThat(ready(status).getObservedGeneration()).isEqualTo(2L);
            assertThat(ready(status).getMessage()).isEqualTo("0 of 2 pods enforce generation 2; waiting for a (generation 1), b (generation 1)");
            assertThat(status.stalePods()).isEqualTo(2);
            assertThat(status.stalePodNames()).containsExactly("a", "b");
        });

        a.answer(report(2, resource("RateLimitPolicy", "api", 2), "", "", null));
        awaitAtMost().untilAsserted(() -> assertThat(policyStatus(ns, "api").enforcing()).isEqualTo("1/2"));
        b.answer(report(2, resource("RateLimitPolicy", "api", 2), "", "", null));
        awaitAtMost().untilAsserted(() -> {
            assertThat(ready(policyStatus(ns, "api")).getReason()).isEqualTo(Conditions.REASON_ENFORCED);
            assertThat(policyStatus(ns, "api").enforcing()).isEqualTo("2/2");
            assertThat(policyStatus(ns, "api").stalePods()).isZero();
        });
        assertThat(MockCluster.events(client, ns, "api", Conditions.REASON_PROPAGATING))
                .as("one Event for the change to Propagating; its recounts (0 of 2, then 1 of 2) are written but not announced").hasSize(1);
    }

    @Test
    void aSelectedPodWithoutTheSidecarAndARefusalAreNotReady() {
        String ns = "refusal";
        FakeSidecar a = sidecarPod(ns, "a").answer(report(1, resource("RateLimitPolicy", "api", 1), "", "", null));
        client.resource(policy(ns, "api").selecting("app", "web").rule(Resources.rule("burst", 100, "1s")).build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(ready(policyStatus(ns, "api")).getReason()).isEqualTo(Conditions.REASON_ENFORCED));

        client.resource(Pods.pod(ns, "plain").build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(ready(policyStatus(ns, "api"))).satisfies(ready -> {
            assertThat(ready.getReason()).isEqualTo(Conditions.REASON_PODS_WITHOUT_SIDECAR);
            assertThat(ready.getMessage()).isEqualTo("1 of 2 selected pods have no sidecar: plain");
        }));
        client.pods().inNamespace(ns).withName("plain").delete();

        a.answer(report(1, resource("RateLimitPolicy", "api", 1), "", "",
                "{\"at\":\"2026-11-28T03:00:05Z\",\"generation\":2,\"message\":\"policies[0].rules[0]: bad\",\"resources\":[]}"));
        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("api")
                .edit(policy -> policy(ns, "api").selecting("app", "web").rule(Resources.rule("burst", 50, "1s")).build());
        awaitAtMost().untilAsserted(() -> {
            assertThat(ready(policyStatus(ns, "api"))).satisfies(ready -> {
                assertThat(ready.getStatus()).isEqualTo("False");
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_SIDECAR_REJECTED_CONFIG);
                assertThat(ready.getMessage()).isEqualTo("the sidecar of pod a refused the configuration carrying this generation:"
                        + " policies[0].rules[0]: bad");
            });
            assertThat(MockCluster.events(client, ns, "api", Conditions.REASON_SIDECAR_REJECTED_CONFIG)).singleElement()
                    .satisfies(event -> assertThat(event.getType()).isEqualTo("Warning"));
        });
    }

    @Test
    void aCircuitOpeningAndClosingIsShownAndAnnounced() {
        String ns = "circuit";
        FakeSidecar a = sidecarPod(ns, "a").answer(report(1, resource("CircuitBreaker", "backend", 1), "", breaker("backend", "closed"), null));
        FakeSidecar b = sidecarPod(ns, "b").answer(report(1, resource("CircuitBreaker", "backend", 1), "", breaker("backend", "closed"), null));
        client.resource(Resources.breaker(ns, "backend", Resources.breakerSpec(BreakerConfig.builder()
                .podSelector(new LabelSelector(Map.of("app", "web"), List.of())).timeout("5s").build()))).create();
        awaitAtMost().untilAsserted(() -> {
            assertThat(ready(breakerStatus(ns, "backend")).getReason()).isEqualTo(Conditions.REASON_ENFORCED);
            assertThat(breakerStatus(ns, "backend").openCircuits()).isZero();
        });

        b.answer(report(1, resource("CircuitBreaker", "backend", 1), "", breaker("backend", "open"), null));
        awaitAtMost().untilAsserted(() -> {
            assertThat(breakerStatus(ns, "backend").openCircuitPods()).containsExactly("b");
            assertThat(breakerStatus(ns, "backend").openCircuits()).isEqualTo(1);
            assertThat(MockCluster.events(client, ns, "backend", LiveEvents.CIRCUIT_OPENED)).singleElement().satisfies(event -> {
                assertThat(event.getType()).isEqualTo("Warning");
                assertThat(event.getMessage()).isEqualTo("the circuit is open on 1 pod(s): b");
            });
        });

        b.answer(report(1, resource("CircuitBreaker", "backend", 1), "", breaker("backend", "half_open"), null));
        awaitAtMost().untilAsserted(() -> {
            assertThat(breakerStatus(ns, "backend").openCircuits()).isZero();
            assertThat(MockCluster.events(client, ns, "backend", LiveEvents.CIRCUIT_CLOSED)).singleElement()
                    .satisfies(event -> assertThat(event.getType()).isEqualTo("Normal"));
        });
        assertThat(a.requests()).isPositive();
    }

    @Test
    void aRejectRateAboveTwentyPercentIsShownAndAnnounced() {
        String ns = "rejects";
        FakeSidecar a = sidecarPod(ns, "a").answer(report(1, resource("RateLimitPolicy", "api", 1), rule("api", "burst", 0, 0), "", null));
        client.resource(policy(ns, "api").selecting("app", "web").rule(Resources.rule("burst", 100, "1s")).build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(ready(policyStatus(ns, "api")).getReason()).isEqualTo(Conditions.REASON_ENFORCED));

        // Counters that keep growing, a third of them rejected: the rates of the next 10 s bucket show it.
        Thread traffic = new Thread(() -> {
            long requests = 0;
            while (!Thread.currentThread().isInterrupted()) {
                requests += 300;
                a.answer(report(1, resource("RateLimitPolicy", "api", 1), rule("api", "burst", requests, requests / 3), "", null));
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        traffic.start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                ResourceStatus status = policyStatus(ns, "api");
                assertThat(status.rejectRate()).isEqualTo("33%");
                assertThat(status.rules()).singleElement().satisfies(rate -> {
                    assertThat(rate.rule()).isEqualTo("burst");
                    assertThat(rate.rejectedPerMinute()).isPositive();
                    assertThat(rate.allowedPerMinute()).isPositive();
                });
                assertThat(MockCluster.events(client, ns, "api", LiveEvents.HIGH_REJECT_RATE)).singleElement()
                        .satisfies(event -> assertThat(event.getMessage()).startsWith("33% of requests were rejected over the last minute, by rule burst"));
            });
        } finally {
            traffic.interrupt();
        }
    }

    /** A pod with a ready injected sidecar whose admin port is a real local server; labelled app=web. */
    private static synchronized FakeSidecar sidecarPod(String namespace, String name) {
        String address = "127.0.0." + nextAddress++;
        FakeSidecar sidecar = FakeSidecar.on(address);
        SIDECARS.add(sidecar);
        URIS.put(namespace + "/" + name, sidecar.uri());
        client.resource(Pods.pod(namespace, name).injected().ready(LONG_AGO).ip(address).build()).create();
        return sidecar;
    }

    private static ConditionFactory awaitAtMost() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions();
    }

    private static ResourceStatus policyStatus(String namespace, String name) {
        return status(client.resources(RateLimitPolicy.class).inNamespace(namespace).withName(name).get());
    }

    private static ResourceStatus breakerStatus(String namespace, String name) {
        return status(client.resources(CircuitBreaker.class).inNamespace(namespace).withName(name).get());
    }

    private static ResourceStatus status(HasMetadata resource) {
        ResourceStatus status = resource instanceof RateLimitPolicy policy ? policy.getStatus() : ((CircuitBreaker) resource).getStatus();
        assertThat(status).as("status of " + resource.getMetadata().getName()).isNotNull();
        return status;
    }

    private static Condition ready(ResourceStatus status) {
        return Conditions.find(status.conditions(), Conditions.READY).orElseThrow();
    }
}

package dev.sluice.operator.audit;

import dev.sluice.api.inject.InjectionNames;
import static dev.sluice.operator.audit.PodFixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.MockCluster;
import dev.sluice.operator.status.EventRecorder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The auditor against the mock API server: the pods it lists in labelled namespaces (and opting in
 * elsewhere), one Warning Event per pod that lacks the sidecar, the gauge per namespace. Each test
 * drives audits itself; nothing is scheduled.
 */
@EnableKubernetesMockClient(crud = true)
class SidecarAuditorIT {
    private static final String OPERATOR_NAMESPACE = "sluice-system";
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T10:00:00Z"), ZoneOffset.UTC);
    static KubernetesClient client;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void emptyCluster() {
        client.pods().inAnyNamespace().delete();
        client.v1().events().inAnyNamespace().delete();
        client.namespaces().delete();
        registry = new SimpleMeterRegistry();
    }

    @Test
    void eachPodWithoutTheSidecarGetsOneEventAndIsCountedInItsNamespace() {
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        namespace("payments", InjectionNames.NAMESPACE_REQUIRED);
        namespace("plain", null);
        String why = "port 8080 ('http') is taken over only when the pod declares how the app learns its new port: add the annotation"
                + " sluice.dev/port-env: PORT (the variable your app reads)";
        create(pod("shop", "web-1").injected());
        String web2 = create(pod("shop", "web-2"));
        create(pod("shop", "legacy").skipped(why));
        create(pod("shop", "batch-done").phase("Succeeded"));
        create(pod("shop", "node-agent").hostNetwork());
        create(pod("shop", "opted-out").optedOut());
        create(pod("payments", "api-1").injected());
        create(pod("payments", "api-2").optedOut());
        create(pod("plain", "nobody-asked"));
        create(pod("plain", "asked").optedIn());
        SidecarAuditor auditor = auditor(Set.of());

        auditor.audit();
        auditor.audit();

        assertThat(warnings("shop", "web-2")).singleElement().extracting(Event::getMessage).isEqualTo(SidecarCheck.NOT_CALLED);
        assertThat(warnings("shop", "legacy")).singleElement().extracting(Event::getMessage)
                .isEqualTo("created without the Sluice sidecar: " + why);
        assertThat(warnings("payments", "api-2")).as("no opting out where injection is required").hasSize(1);
        assertThat(warnings("plain", "asked")).hasSize(1);
        for (String ignored : new String[] {"web-1", "batch-done", "node-agent", "opted-out"}) {
            assertThat(warnings("shop", ignored)).as(ignored).isEmpty();
        }
        assertThat(warnings("payments", "api-1")).isEmpty();
        assertThat(warnings("plain", "nobody-asked")).isEmpty();
        assertThat(gauge()).containsExactlyInAnyOrderEntriesOf(Map.of("shop", 2.0, "payments", 1.0, "plain", 1.0));
        Event event = warnings("shop", "web-2").get(0);
        assertThat(event.getType()).isEqualTo(EventRecorder.WARNING);
        assertThat(event.getInvolvedObject().getKind()).isEqualTo("Pod");
        assertThat(event.getInvolvedObject().getUid()).isEqualTo(web2);
    }

    @Test
    void theGaugeFollowsThePodsAndNamespacesAndShowsZeroWhenAllAreInjected() {
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        namespace("quiet", InjectionNames.NAMESPACE_ENABLED);
        create(pod("shop", "web-1"));
        create(pod("quiet", "web-1").injected());
        SidecarAuditor auditor = auditor(Set.of());
        auditor.audit();
        assertThat(gauge()).containsExactlyInAnyOrderEntriesOf(Map.of("shop", 1.0, "quiet", 0.0));

        client.pods().inNamespace("shop").withName("web-1").delete();
        client.resource(new NamespaceBuilder().withNewMetadata().withName("quiet").endMetadata().build()).update();
        auditor.audit();

        assertThat(gauge()).containsExactlyInAnyOrderEntriesOf(Map.of("shop", 0.0));
    }

    @Test
    void aPodStillWithoutTheSidecarIsNotReportedAgainButANewOneIs() {
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        String first = create(pod("shop", "web-1"));
        SidecarAuditor auditor = auditor(Set.of());
        auditor.audit();
        auditor.audit();
        // The same pod name again, a new pod: its Event is its own.
        client.pods().inNamespace("shop").withName("web-1").delete();
        String second = create(pod("shop", "web-1"));
        auditor.audit();
        auditor.audit();

        assertThat(second).isNotEqualTo(first);
        assertThat(warnings("shop", "web-1")).extracting(event -> event.getInvolvedObject().getUid()).containsExactlyInAnyOrder(first, second);
    }

    @Test
    void aNewLeaderDoesNotTellAPodTheLastOneTold() {
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        create(pod("shop", "web-1"));
        auditor(Set.of()).audit();

        // Another process: its own EventRecorder and memory, the API server's Events.
        auditor(Set.of()).audit();

        assertThat(warnings("shop", "web-1")).hasSize(1);
    }

    @Test
    void theOperatorsNamespaceKubeSystemAndUnwatchedNamespacesAreNeverAudited() {
        namespace(OPERATOR_NAMESPACE, InjectionNames.NAMESPACE_REQUIRED);
        namespace("kube-system", InjectionNames.NAMESPACE_ENABLED);
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        namespace("other-team", InjectionNames.NAMESPACE_ENABLED);
        namespace("plain", null);
        create(pod(OPERATOR_NAMESPACE, "operator-1"));
        create(pod("kube-system", "coredns").optedIn());
        create(pod("shop", "web-1"));
        create(pod("other-team", "web-1"));
        create(pod("plain", "asked").optedIn());

        auditor(Set.of("shop", "plain", "kube-system")).audit();

        assertThat(gauge()).containsExactlyInAnyOrderEntriesOf(Map.of("shop", 1.0, "plain", 1.0));
        assertThat(warnings(OPERATOR_NAMESPACE, "operator-1")).isEmpty();
        assertThat(warnings("kube-system", "coredns")).isEmpty();
        assertThat(warnings("other-team", "web-1")).isEmpty();
    }

    @Test
    void aNamespaceWithAnotherLabelValueSelectsNothingNotEvenOptIns() {
        namespace("paused", "disabled");
        create(pod("paused", "asked").optedIn());

        auditor(Set.of()).audit();

        assertThat(gauge()).isEmpty();
        assertThat(warnings("paused", "asked")).isEmpty();
    }

    @Test
    void closingWithdrawsTheGauge() {
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        create(pod("shop", "web-1"));
        SidecarAuditor auditor = auditor(Set.of());
        auditor.audit();

        auditor.close();

        assertThat(gauge()).isEmpty();
    }

    private SidecarAuditor auditor(Set<String> watched) {
        return new SidecarAuditor(client, watched, OPERATOR_NAMESPACE, new EventRecorder(client, CLOCK), registry);
    }

    private Map<String, Double> gauge() {
        Map<String, Double> values = new TreeMap<>();
        for (Gauge gauge : registry.find(SidecarAuditor.GAUGE).gauges()) {
            values.put(gauge.getId().getTag("namespace"), gauge.value());
        }
        return values;
    }

    private static List<Event> warnings(String namespace, String pod) {
        return MockCluster.events(client, namespace, pod, SidecarAuditor.REASON);
    }

    private static void namespace(String name, String inject) {
        NamespaceBuilder namespace = new NamespaceBuilder().withNewMetadata().withName(name)
                .addToLabels("kubernetes.io/metadata.name", name).endMetadata();
        if (inject != null) {
            namespace.editMetadata().addToLabels(InjectionNames.LABEL, inject).endMetadata();
        }
        client.resource(namespace.build()).create();
    }

    /** Creates the pod; returns the uid the API server gave it. */
    private static String create(PodFixtures pod) {
        return client.resource(pod.build()).create().getMetadata().getUid();
    }
}

package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.operator.audit.SidecarAuditor;
import dev.sluice.operator.inject.InjectionSettings;
import dev.sluice.operator.webhook.WebhookSettings;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sidecar auditor in two replicas against one mock API server, as the chart runs them: only the
 * leader audits and exports the gauge; when it stops, the other takes over without telling a pod twice.
 */
@EnableKubernetesMockClient(crud = true)
class SidecarAuditReplicasIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String SYSTEM = "sluice-system";
    static KubernetesClient client;
    static KubernetesMockServer server;

    @Test
    void onlyTheLeaderAuditsAndTheNextLeaderDoesNotTellAPodTwice() {
        MockCluster.registerCrds(client);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(SYSTEM).endMetadata().build()).create();
        client.resource(new NamespaceBuilder().withNewMetadata().withName("shop").addToLabels("sluice.dev/inject", "enabled").endMetadata()
                .build()).create();
        MockCluster.createPod(client, "shop", "web-1", "web");
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews").andReturn(201, new SelfSubjectRulesReviewBuilder()
                .withNewStatus().addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases").withVerbs("*").endResourceRule()
                .withIncomplete(false).endStatus().build()).always();
        OperatorSettings settings = new OperatorSettings(Set.of(), 0, true, OperatorSettings.DEFAULT_LEASE_NAME, SYSTEM, List.of(),
                OperatorSettings.DEFAULT_LOG_LEVEL, false, false,
                WebhookSettings.loopback(SYSTEM + "/sluice-webhook-tls", List.of("sluice-jobs", "sluice-job-updates")), null,
                InjectionSettings.enabled("localhost/sluice-sidecar:test"));

        SluiceOperator first = SluiceOperator.start(client, settings, Clock.systemUTC(), "replica-1");
        SluiceOperator second = null;
        try {
            await().atMost(PATIENCE).until(() -> "replica-1".equals(leaseHolder()));
            second = SluiceOperator.start(client, settings, Clock.systemUTC(), "replica-2");
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(withoutSidecar(first)).containsExactly(1.0));
            assertThat(MockCluster.events(client, "shop", "web-1", SidecarAuditor.REASON)).hasSize(1);
            assertThat(withoutSidecar(second)).as("the gauge of the replica that does not lead").isEmpty();

            first.close();
            SluiceOperator next = second;
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(withoutSidecar(next)).containsExactly(1.0));

            assertThat(withoutSidecar(first)).as("the gauge of the replica that stopped").isEmpty();
            assertThat(MockCluster.events(client, "shop", "web-1", SidecarAuditor.REASON)).as("Events after the leader changed").hasSize(1);
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }

    private static List<Double> withoutSidecar(SluiceOperator replica) {
        return replica.registry().find(SidecarAuditor.GAUGE).tag("namespace", "shop").gauges().stream().map(Gauge::value).toList();
    }

    private static String leaseHolder() {
        Lease lease = client.leases().inNamespace(SYSTEM).withName(OperatorSettings.DEFAULT_LEASE_NAME).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }
}

package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.status.Conditions;
import dev.sluice.operator.webhook.TrustingCa;
import dev.sluice.operator.webhook.WebhookSettings;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two operator replicas against one mock API server, as the chart runs them: one holds the Lease and
 * reconciles, both serve the webhooks. The test plays the API server's part in admission: it sends
 * each Job creation to one replica or the other, all at once, and stores the Job as the answer says.
 * Decisions taken by either replica never admit more than the maximum, nor queue more than maxQueued;
 * only the leader labels the namespace (and puts the label back), resumes queued Jobs, and removes the
 * label with the namespace's last quota. The status totals count each replica's decisions once.
 */
@EnableKubernetesMockClient(crud = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobQuotaReplicasIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String SYSTEM = "sluice-system";
    private static final String NS = "team";
    private static final int MAX = 2;
    private static final int MAX_QUEUED = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    static KubernetesClient client;
    static KubernetesMockServer server;
    private static SluiceOperator first;
    private static SluiceOperator second;
    private final MockJobs jobs = new MockJobs(client, NS);

    @BeforeAll
    static void startTwoReplicas() throws Exception {
        MockCluster.registerCrds(client);
        try (InputStream yaml = JobQuotaReplicasIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        }
        // What the chart installs, and the API server's answers the CRUD mock cannot give: the operator may use
        // its Lease, and in a labelled namespace the API server calls both webhooks for the dry-run probe.
        client.resource(new NamespaceBuilder().withNewMetadata().withName(SYSTEM).endMetadata().build()).create();
        client.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        client.resource(new MutatingWebhookConfigurationBuilder().withNewMetadata().withName("sluice-jobs").endMetadata()
                .addNewWebhook().withName("jobs.sluice.dev").withNewClientConfig().withNewService().withNamespace(SYSTEM)
                .withName("sluice-operator-webhook").withPath(JobAdmissionWebhook.PATH).endService().endClientConfig().endWebhook().build()).create();
        client.resource(new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName("sluice-job-updates").endMetadata()
                .addNewWebhook().withName("job-updates.sluice.dev").withNewClientConfig().withNewService().withNamespace(SYSTEM)
                .withName("sluice-operator-webhook").withPath(JobUpdateWebhook.PATH).endService().endClientConfig().endWebhook().build()).create();
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews").andReturn(201, new SelfSubjectRulesReviewBuilder()
                .withNewStatus().addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases").withVerbs("*").endResourceRule()
                .withIncomplete(false).endStatus().build()).always();
        server.expect().post().withPath("/apis/batch/v1/namespaces/" + NS + "/jobs?dryRun=All").andReturn(403, new StatusBuilder().withCode(403)
                .withReason("Forbidden").withMessage("admission webhook \"job-updates.sluice.dev\" denied the request: "
                        + JobUpdateWebhook.PROBE_ANSWER).build()).always();

        OperatorSettings settings = new OperatorSettings(Set.of(), 0, true, OperatorSettings.DEFAULT_LEASE_NAME, SYSTEM, List.of(),
                OperatorSettings.DEFAULT_LOG_LEVEL, false, false,
                WebhookSettings.loopback(SYSTEM + "/sluice-webhook-tls", List.of("sluice-jobs", "sluice-job-updates")), null);
        first = SluiceOperator.start(client, settings, Clock.systemUTC(), "replica-1");
        await().atMost(PATIENCE).until(() -> "replica-1".equals(leaseHolder()));
        second = SluiceOperator.start(client, settings, Clock.systemUTC(), "replica-2");
    }

    @AfterAll
    static void stopReplicas() {
        second.close();
        if (first != null) {
            first.close();
        }
    }

    @Test
    @Order(1)
    void eitherReplicaDecidesAndTogetherTheyNeverAdmitOverTheMaximum() throws Exception {
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(ready(first)).isEqualTo(200);
            assertThat(ready(second)).as("the replica that does not lead is ready too").isEqualTo(200);
        });
        assertThat(leaseHolder()).isEqualTo("replica-1");

        client.resource(quota()).create();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(label()).isEqualTo(EnforcedNamespaces.VALUE);
            assertThat(Conditions.find(status().conditions(), Conditions.READY).orElseThrow().getReason())
                    .isEqualTo(JobQuotaStatuses.REASON_ENFORCING);
        });
        client.namespaces().withName(NS).edit(namespace -> new NamespaceBuilder(namespace).editMetadata()
                .removeFromLabels(EnforcedNamespaces.LABEL).endMetadata().build());
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(label()).as("the label put back").isEqualTo(EnforcedNamespaces.VALUE));

        List<String> outcomes = createAllAtOnce("job-", 12);

        assertThat(outcomes).filteredOn("admitted"::equals).hasSize(MAX);
        assertThat(outcomes).filteredOn("queued"::equals).hasSize(MAX_QUEUED);
        assertThat(outcomes).filteredOn(outcome -> outcome.contains("job queue full")).hasSize(12 - MAX - MAX_QUEUED);
        assertThat(jobs.running()).hasSize(MAX);
        List<Job> queued = client.batch().v1().jobs().inNamespace(NS).list().getItems().stream()
                .filter(job -> job.getMetadata().getLabels() != null && "true".equals(job.getMetadata().getLabels().get(JobMarks.QUEUED_LABEL)))
                .toList();
        assertThat(queued).extracting(job -> job.getMetadata().getAnnotations().get(JobMarks.QUEUED_AT)).doesNotHaveDuplicates();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(status())
                .as("the status totals count the decisions of both replicas, each once")
                .extracting(JobQuotaStatus::admittedTotal, JobQuotaStatus::refusedTotal)
                .containsExactly((long) MAX, (long) (12 - MAX - MAX_QUEUED)));

        String next = queued.stream().min((a, b) -> JobView.of(a).queuedAt().compareTo(JobView.of(b).queuedAt())).orElseThrow()
                .getMetadata().getName();
        jobs.complete(jobs.running().get(0));
        await().atMost(PATIENCE).ignoreExceptions().failFast("more than the maximum ran", () -> jobs.running().size() > MAX)
                .untilAsserted(() -> assertThat(jobs.running()).hasSize(MAX).contains(next));
        assertThat(jobs.mostRunning()).isLessThanOrEqualTo(MAX);
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(status().admittedTotal())
                .as("with the one the leader resumed").isEqualTo(MAX + 1));

        client.resources(JobQuota.class).inNamespace(NS).withName("quota").delete();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(label()).as("the label goes with the last quota").isNull();
            assertThat(jobs.running()).hasSize(MAX + MAX_QUEUED - 1);
        });
    }

    /** Sends {@code count} creations at once, alternately to each replica still running, and stores each Job as its answer says. */
    private List<String> createAllAtOnce(String prefix, int count) throws Exception {
        HttpClient https = HttpClient.newBuilder().sslContext(trustingTheWebhookCa()).build();
        ExecutorService threads = Executors.newFixedThreadPool(count);
        try {
            List<Future<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                SluiceOperator replica = i % 2 == 0 && first != null ? first : second;
                Job job = new JobBuilder().withNewMetadata().withNamespace(NS).withName(prefix + i).endMetadata()
                        .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                        .addNewContainer().withName("work").withImage("example/work").endContainer().endSpec().endTemplate().endSpec().build();
                outcomes.add(threads.submit(() -> admit(https, replica, job)));
            }
            List<String> answers = new ArrayList<>();
            for (Future<String> outcome : outcomes) {
                answers.add(outcome.get());
            }
            return answers;
        } finally {
            threads.shutdownNow();
        }
    }

    /** What the API server does with a creation: asks the replica's mutating webhook, then stores the patched Job, or not. */
    private String admit(HttpClient https, SluiceOperator replica, Job job) throws Exception {
        AdmissionReview review = new AdmissionReviewBuilder().withApiVersion("admission.k8s.io/v1").withKind("AdmissionReview")
                .withNewRequest().withUid(UUID.randomUUID().toString()).withOperation("CREATE").withNamespace(NS).withName(job.getMetadata().getName())
                .withNewKind("batch", "Job", "v1").withObject(job).withDryRun(false)
                .withNewUserInfo().withUsername("alice").endUserInfo().endRequest().build();
        HttpResponse<String> response = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + replica.webhookPort()
                        + JobAdmissionWebhook.PATH)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(client.getKubernetesSerialization().asJson(review))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body()).path("response");
        if (!answer.path("allowed").asBoolean()) {
            return answer.path("status").path("message").asText();
        }
        JsonNode stored = JSON.valueToTree(job);
        if (answer.hasNonNull("patch")) {
            stored = JsonPatch.apply(JSON.readTree(Base64.getDecoder().decode(answer.path("patch").asText())), stored);
        }
        Job created = client.resource(JSON.treeToValue(stored, Job.class)).create();
        return Boolean.TRUE.equals(created.getSpec().getSuspend()) ? "queued" : "admitted";
    }

    private static SSLContext trustingTheWebhookCa() throws Exception {
        String caPem = new String(Base64.getDecoder().decode(client.secrets().inNamespace(SYSTEM).withName("sluice-webhook-tls").get()
                .getData().get("ca.crt")), StandardCharsets.UTF_8);
        return TrustingCa.of(caPem);
    }

    private static int ready(SluiceOperator replica) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.httpPort() + "/readyz")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * A replica that stops on purpose (SIGTERM in a rolling upgrade) gives the Lease up as it stops, so
     * the other leads within its retry period instead of after the Lease expires (15 s without a
     * leader, no queued Job resumed). Without the release, the Lease still names the stopped replica.
     */
    @Test
    @Order(2)
    void theLeaderStoppingGivesTheLeaseUpAndTheOtherReplicaLeads() {
        await().atMost(PATIENCE).until(() -> "replica-1".equals(leaseHolder()));
        SluiceOperator leader = first;
        first = null;

        leader.close();

        assertThat(leaseHolder()).as("the Lease's holder right after the leader stopped").isNotEqualTo("replica-1");
        Lease lease = client.leases().inNamespace(SYSTEM).withName(OperatorSettings.DEFAULT_LEASE_NAME).get();
        if (lease.getSpec().getHolderIdentity() == null) {
            assertThat(lease.getSpec().getLeaseDurationSeconds()).as("a released Lease's duration").isEqualTo(1);
        }
        await().atMost(PATIENCE).until(() -> "replica-2".equals(leaseHolder()));
    }

    /**
     * After the handover, the replica that leads now reports the totals, and a quota created again under
     * the name of the deleted one (a new uid) starts from zero, whatever the deleted one had counted.
     */
    @Test
    @Order(3)
    void aQuotaCreatedAgainStartsFromZeroUnderTheNewLeader() throws Exception {
        jobs.running().forEach(jobs::complete);
        client.resource(quota()).create();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(Conditions.find(status().conditions(), Conditions.READY)
                .orElseThrow().getReason()).isEqualTo(JobQuotaStatuses.REASON_ENFORCING));
        assertThat(status()).extracting(JobQuotaStatus::admittedTotal, JobQuotaStatus::refusedTotal).containsExactly(0L, 0L);

        List<String> outcomes = createAllAtOnce("again-", 8);

        assertThat(outcomes).filteredOn("admitted"::equals).hasSize(MAX);
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(status())
                .extracting(JobQuotaStatus::admittedTotal, JobQuotaStatus::refusedTotal)
                .containsExactly((long) MAX, (long) (8 - MAX - MAX_QUEUED)));
    }

    private static String leaseHolder() {
        Lease lease = client.leases().inNamespace(SYSTEM).withName(OperatorSettings.DEFAULT_LEASE_NAME).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static String label() {
        Map<String, String> labels = client.namespaces().withName(NS).get().getMetadata().getLabels();
        return labels == null ? null : labels.get(EnforcedNamespaces.LABEL);
    }

    private static JobQuota quota() {
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName("quota").withGeneration(1L).build());
        quota.setSpec(new JobQuotaSpec(MAX, null, JobQuotaSpec.OnLimit.Queue, null, null, MAX_QUEUED, null, null));
        return quota;
    }

    private static JobQuotaStatus status() {
        return client.resources(JobQuota.class).inNamespace(NS).withName("quota").get().getStatus();
    }


}

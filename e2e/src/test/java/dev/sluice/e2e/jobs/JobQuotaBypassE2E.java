package dev.sluice.e2e.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.e2e.ClusterExtension;
import dev.sluice.e2e.OperatorDeployment;
import dev.sluice.e2e.TestCluster;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobQuotaStatuses;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A JobQuota cannot be stepped around by updating Jobs, on the real cluster: a user who may edit Jobs
 * ({@code alice}, impersonated by the admin client, and allowed to do anything with Jobs) un-suspends a
 * queued Job, edits Sluice's marks on it, or un-suspends a Job she created suspended, and is refused at
 * the limit; the operator, in its pod with its own ServiceAccount (installed by charts/sluice), resumes Jobs
 * as before. With the operator stopped, ordinary updates still work. Jobs run real containers, held
 * until the test lets them exit; the Job controller writes their status.
 */
@ExtendWith(ClusterExtension.class)
class JobQuotaBypassE2E {
    private static final Duration PATIENCE = Duration.ofMinutes(5);
    private static final String USER = "alice";

    static KubernetesClient admin;
    static KubernetesClient alice;
    static OperatorDeployment operator;

    @BeforeAll
    static void installOperatorAndAlice(TestCluster cluster) {
        admin = cluster.client();
        admin.resource(new ClusterRoleBuilder().withNewMetadata().withName("job-editor").endMetadata()
                .addNewRule().withApiGroups("batch").withResources("jobs").withVerbs("get", "list", "watch", "create", "update", "patch", "delete")
                .endRule().build()).create();
        admin.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName("alice-edits-jobs").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName("job-editor").endRoleRef()
                .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(USER).endSubject()
                .build()).create();
        Config impersonating = new ConfigBuilder(admin.getConfiguration()).withImpersonateUsername(USER).build();
        alice = new KubernetesClientBuilder().withConfig(impersonating).build();
        operator = cluster.operator();
    }

    @AfterEach
    void operatorRuns() {
        operator.ensureRunning();
    }

    @AfterAll
    static void closeAlice() {
        if (alice != null) {
            alice.close();
        }
    }

    @Test
    void aQueuedJobIsNotLetOutByUnsuspendingItOrEditingSluicesMarksButTheOperatorStillResumesIt() {
        String namespace = namespaceWithQuota("jq-bypass-queued", 1);
        JobsUnderTest jobs = new JobsUnderTest(alice, namespace);
        jobs.create("first", Map.of());
        assertThat(JobsUnderTest.isQueued(jobs.create("second", Map.of()))).isTrue();

        assertThatThrownBy(() -> edit(namespace, "second", job -> new JobBuilder(job).editSpec().withSuspend(false).endSpec().build()))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("denied the request: Job second is queued by JobQuota quota: number 1 of 1 in its queue,"
                        + " with 1/1 selected Jobs running in namespace jq-bypass-queued");
        assertThatThrownBy(() -> edit(namespace, "second", job -> new JobBuilder(job).editMetadata()
                .removeFromLabels(JobMarks.QUEUED_LABEL).endMetadata().build()))
                .hasMessageContaining("Job second is queued by JobQuota quota").hasMessageContaining(JobMarks.QUEUED_LABEL);
        assertThatThrownBy(() -> edit(namespace, "second", job -> new JobBuilder(job).editMetadata()
                .addToAnnotations(JobMarks.QUEUED_AT, "2000-01-01T00:00:00Z").endMetadata().build()))
                .hasMessageContaining("Job second is queued by JobQuota quota").hasMessageContaining(JobMarks.QUEUED_AT);
        assertThatThrownBy(() -> edit(namespace, "second", job -> new JobBuilder(job).editMetadata()
                .removeFromAnnotations(JobMarks.QUEUED_BY).endMetadata().build()))
                .hasMessageContaining(JobMarks.QUEUED_BY);
        edit(namespace, "second", job -> new JobBuilder(job).editMetadata().addToLabels("team", "a").endMetadata().build());
        assertThat(JobsUnderTest.isQueued(jobs.get("second"))).isTrue();
        assertThat(jobs.activeNow()).extracting(job -> job.getMetadata().getName()).containsExactly("first");
        assertThat(admin.v1().events().inNamespace(namespace).list().getItems()).anySatisfy(event -> {
            assertThat(event.getInvolvedObject().getName()).isEqualTo("second");
            assertThat(event.getReason()).isEqualTo("Refused");
            assertThat(event.getMessage()).startsWith("Job second is queued by JobQuota quota: number 1 of 1 in its queue");
        });

        new JobsUnderTest(admin, namespace).complete("first");

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(jobs.activeNow()).extracting(job -> job.getMetadata().getName()).containsExactly("second"));
    }

    @Test
    void aJobCreatedSuspendedIsNotLetRunPastTheMaximumByUnsuspendingItLater() {
        String namespace = namespaceWithQuota("jq-bypass-owner", 1);
        JobsUnderTest jobs = new JobsUnderTest(alice, namespace);
        jobs.create("running", Map.of());
        alice.batch().v1().jobs().inNamespace(namespace).resource(new JobBuilder(JobsUnderTest.job("mine", Map.of()))
                .editSpec().withSuspend(true).endSpec().build()).create();

        assertThatThrownBy(() -> edit(namespace, "mine", job -> new JobBuilder(job).editSpec().withSuspend(false).endSpec().build()))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("denied the request: Job mine may not run now: concurrent job limit reached (1/1) in namespace"
                        + " jq-bypass-owner (JobQuota quota), and it is not in the queue (0 Jobs queued)");
        assertThat(jobs.get("mine").getSpec().getSuspend()).isTrue();

        new JobsUnderTest(admin, namespace).complete("running");
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
                edit(namespace, "mine", job -> new JobBuilder(job).editSpec().withSuspend(false).endSpec().build()));
        assertThat(jobs.activeNow()).extracting(job -> job.getMetadata().getName()).containsExactly("mine");
    }

    @Test
    void withTheOperatorStoppedOrdinaryJobUpdatesStillWorkAndAQueuedJobStaysQueued() {
        String namespace = namespaceWithQuota("jq-bypass-down", 1);
        JobsUnderTest jobs = new JobsUnderTest(alice, namespace);
        jobs.create("running", Map.of());
        assertThat(JobsUnderTest.isQueued(jobs.create("held", Map.of()))).isTrue();
        operator.stop();
        try {
            for (String name : new String[] {"running", "held"}) {
                edit(namespace, name, job -> new JobBuilder(job).editMetadata().addToLabels("team", "b").endMetadata().build());
                edit(namespace, name, job -> new JobBuilder(job).editMetadata().addToAnnotations("example.com/owner", "alice").endMetadata().build());
            }
            assertThat(jobs.get("held").getMetadata().getLabels()).containsEntry("team", "b");
            assertThatThrownBy(() -> edit(namespace, "held", job -> new JobBuilder(job).editSpec().withSuspend(false).endSpec().build()))
                    .isInstanceOf(KubernetesClientException.class)
                    .hasMessageContaining("failed calling webhook");
            assertThat(alice.batch().v1().jobs().inNamespace(namespace).withName("running").delete()).isNotEmpty();
            assertThat(alice.batch().v1().jobs().inNamespace(namespace).withName("held").delete()).isNotEmpty();
        } finally {
            operator.start();
        }
    }

    /**
     * An update as alice: a patch of the change, as {@code kubectl edit} sends it, made again on the Job
     * as it is now when the Job controller wrote the Job in between (409 Conflict).
     */
    private static void edit(String namespace, String name, UnaryOperator<Job> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                alice.batch().v1().jobs().inNamespace(namespace).withName(name).edit(change);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static String namespaceWithQuota(String namespace, int max) {
        admin.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName("quota").build());
        quota.setSpec(JobQuotaSpec.of(max));
        admin.resource(quota).create();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
                assertThat(Conditions.find(admin.resources(JobQuota.class).inNamespace(namespace).withName("quota").get()
                        .getStatus().conditions(), Conditions.READY).orElseThrow().getReason()).isEqualTo(JobQuotaStatuses.REASON_ENFORCING));
        return namespace;
    }
}

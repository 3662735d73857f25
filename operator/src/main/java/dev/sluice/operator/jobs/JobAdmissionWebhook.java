package dev.sluice.operator.jobs;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import dev.sluice.operator.jobs.NamespaceAdmission.CreateAdmission;
import dev.sluice.operator.webhook.AdmissionEndpoint;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The mutating admission webhook for Job creation, at {@link #PATH}: leaves alone what is not a Job being created or a
 * Job its owner created suspended, and otherwise delegates to {@link NamespaceAdmission#admitCreate};
 * answers with the {@link JobPatch} or the refusal. {@link AdmissionEndpoint} serves it.
 */
public final class JobAdmissionWebhook {
    /** Where the webhook server serves it; the chart's MutatingWebhookConfiguration calls it there. */
    public static final String PATH = "/jobs/mutate";

    private final NamespaceAdmission admission;
    private final JobQuotaMetrics metrics;
    private final JobEvents events;
    private final KubernetesSerialization serialization;
    private final Clock clock;

    public JobAdmissionWebhook(NamespaceAdmission admission, JobQuotaMetrics metrics, JobEvents events,
            KubernetesSerialization serialization, Clock clock) {
        this.admission = admission;
        this.metrics = metrics;
        this.events = events;
        this.serialization = serialization;
        this.clock = clock;
    }

    /** The answer to one admission request. */
    public AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        if (!"CREATE".equals(request.getOperation()) || !(request.getObject() instanceof Job)
                && (request.getKind() == null || !"Job".equals(request.getKind().getKind()))) {
            return response.build();
        }
        Job job = request.getObject() instanceof Job typed ? typed : serialization.convertValue(request.getObject(), Job.class);
        if (job.getMetadata().getNamespace() == null) {
            job.getMetadata().setNamespace(request.getNamespace());
        }
        if (job.getSpec() != null && Boolean.TRUE.equals(job.getSpec().getSuspend())) {
            return response.build();
        }
        boolean dryRun = Boolean.TRUE.equals(request.getDryRun());
        if (dryRun && job.getMetadata().getLabels() != null && job.getMetadata().getLabels().containsKey(JobMarks.WEBHOOK_PROBE)) {
            return response.withPatchType("JSONPatch").withPatch(Base64.getEncoder().encodeToString(serialization.asJson(List.of(
                    Map.of("op", "add", "path", "/metadata/annotations", "value", Map.of(JobMarks.WEBHOOK_PROBE, "answered"))))
                    .getBytes(StandardCharsets.UTF_8))).build();
        }
        Instant started = clock.instant();
        CreateAdmission admission = this.admission.admitCreate(job, dryRun);
        CreateDecision decision = admission.decision();
        metrics.decisionTook(decision.outcome().name().toLowerCase(), Duration.between(started, clock.instant()));
        if (!dryRun) {
            record(job, decision);
        }
        if (decision.outcome() == Outcome.REFUSE) {
            return response.withAllowed(false)
                    .withStatus(new StatusBuilder().withCode(403).withReason("Forbidden").withMessage(decision.message()).build()).build();
        }
        List<Map<String, Object>> patch = JobPatch.of(job, admission);
        if (patch.isEmpty()) {
            return response.build();
        }
        return response.withPatchType("JSONPatch")
                .withPatch(Base64.getEncoder().encodeToString(serialization.asJson(patch).getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    /** Events for the decision; {@link NamespaceAdmission} counted it. */
    private void record(Job job, CreateDecision decision) {
        if (decision.outcome() == Outcome.REFUSE) {
            events.refused(job, decision.message());
        }
        for (CreateDecision.DryRunFinding finding : decision.dryRun()) {
            events.dryRun(job, finding.outcome() == Outcome.QUEUE, finding.message());
        }
    }
}

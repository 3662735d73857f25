package dev.sluice.operator.jobs;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The validating admission webhook for Job updates by anyone but the operator, at {@link #PATH}. The
 * webhook configuration's match conditions (the chart's {@code templates/webhooks.yaml}) send it only the updates that are
 * admission decisions — a Job un-suspended, Sluice's marks changed on a Job it holds, Kueue's label
 * added — so that every other update never depends on the operator. It delegates to
 * {@link NamespaceAdmission#admitUpdate} and refuses with the decision's message.
 *
 * <p>It also answers the webhook probe: a dry-run creation the mutating webhook has marked is refused
 * with {@link #PROBE_ANSWER}, which shows that the API server calls both webhooks in that namespace.
 */
public final class JobUpdateWebhook {
    /** How the webhook refuses a probe both webhooks have seen. */
    public static final String PROBE_ANSWER = "sluice.dev/webhook-probe answered by both Job webhooks";
    /** Where the webhook server serves it; the chart's ValidatingWebhookConfiguration calls it there. */
    public static final String PATH = "/jobs/validate";

    private final NamespaceAdmission admission;
    private final JobEvents events;
    private final KubernetesSerialization serialization;
    private final String operatorUser;

    /**
     * @param operatorUser the user name the operator's own requests carry, or null when unknown (out of a pod): its
     *     updates are the admissions, never decided here
     */
    public JobUpdateWebhook(NamespaceAdmission admission, JobEvents events, KubernetesSerialization serialization,
            String operatorUser) {
        this.admission = admission;
        this.events = events;
        this.serialization = serialization;
        this.operatorUser = operatorUser;
    }

    public AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        boolean isJob = request.getObject() instanceof Job || request.getKind() != null && "Job".equals(request.getKind().getKind());
        if (!isJob) {
            return response.build();
        }
        boolean dryRun = Boolean.TRUE.equals(request.getDryRun());
        Job after = job(request.getObject(), request.getNamespace());
        if ("CREATE".equals(request.getOperation())) {
            boolean markedByMutatingWebhook = after.getMetadata().getAnnotations() != null
                    && "answered".equals(after.getMetadata().getAnnotations().get(JobMarks.WEBHOOK_PROBE));
            return dryRun && markedByMutatingWebhook ? refuse(response, PROBE_ANSWER) : response.build();
        }
        // The match conditions leave the operator out; should they not, deciding here would wait on the
        // namespace lock that the operator's resume holds while it waits for this answer.
        if (!"UPDATE".equals(request.getOperation()) || request.getOldObject() == null
                || operatorUser != null && request.getUserInfo() != null && operatorUser.equals(request.getUserInfo().getUsername())) {
            return response.build();
        }
        Job before = job(request.getOldObject(), request.getNamespace());
        UpdateDecision decision = admission.admitUpdate(before, after, dryRun);
        if (!dryRun && decision.outcome() == Outcome.REFUSE) {
            events.refused(after, decision.message());
        }
        return decision.allowed() ? response.build() : refuse(response, decision.message());
    }

    private Job job(Object object, String namespace) {
        Job job = object instanceof Job typed ? typed : serialization.convertValue(object, Job.class);
        if (job.getMetadata().getNamespace() == null) {
            job.getMetadata().setNamespace(namespace);
        }
        return job;
    }

    private static AdmissionResponse refuse(AdmissionResponseBuilder response, String message) {
        return response.withAllowed(false)
                .withStatus(new StatusBuilder().withCode(403).withReason("Forbidden").withMessage(message).build())
                .build();
    }
}

package dev.sluice.operator.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.sluice.operator.jobs.CreateDecision;
import dev.sluice.operator.jobs.CreateDecision.Outcome;
import dev.sluice.operator.jobs.JobEvents;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobQuotaMetrics;
import dev.sluice.operator.jobs.NamespaceAdmission;
import dev.sluice.operator.jobs.NamespaceAdmission.CreateAdmission;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating admission webhook for Job creation: reads the AdmissionReview, leaves alone what is
 * not a Job being created or a Job its owner created suspended, and otherwise delegates to
 * {@link NamespaceAdmission#admitCreate}; answers with the {@link JobPatch} or the refusal.
 */
public final class JobAdmissionWebhook implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(JobAdmissionWebhook.class);

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

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "POST an AdmissionReview\n", "text/plain");
                return;
            }
            AdmissionReview review;
            try (InputStream body = exchange.getRequestBody()) {
                review = serialization.unmarshal(new String(body.readAllBytes(), StandardCharsets.UTF_8), AdmissionReview.class);
            } catch (RuntimeException e) {
                send(exchange, 400, "not an AdmissionReview: " + e.getMessage() + "\n", "text/plain");
                return;
            }
            if (review == null || review.getRequest() == null) {
                send(exchange, 400, "not an AdmissionReview: no request\n", "text/plain");
                return;
            }
            AdmissionResponse response;
            try {
                response = respond(review.getRequest());
            } catch (RuntimeException e) {
                LOG.warn("Could not decide on Job creation {}: {}", review.getRequest().getUid(), e.toString());
                response = new AdmissionResponseBuilder().withUid(review.getRequest().getUid()).withAllowed(false)
                        .withStatus(new StatusBuilder().withCode(500).withMessage("Sluice could not decide on this Job (" + e.getMessage() + "); retry")
                                .build()).build();
            }
            AdmissionReview answer = new AdmissionReviewBuilder().withApiVersion("admission.k8s.io/v1").withKind("AdmissionReview")
                    .withResponse(response).build();
            send(exchange, 200, serialization.asJson(answer), "application/json");
        }
    }

    /** The answer to one admission request. */
    AdmissionResponse respond(AdmissionRequest request) {
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
        String namespace = job.getMetadata().getNamespace();
        if (!dryRun) {
            record(job, namespace, decision);
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

    private void record(Job job, String namespace, CreateDecision decision) {
        switch (decision.outcome()) {
            case ADMIT -> decision.quotas().forEach(quota -> metrics.admitted(namespace, quota, "creation"));
            case REFUSE -> {
                decision.quotas().forEach(quota -> metrics.rejected(namespace, quota, decision.message().startsWith("job queue full")
                        ? "queue_full" : decision.message().contains("failure backoff") ? "backoff" : "limit"));
                events.refused(job, decision.message());
            }
            default -> {
            }
        }
        for (CreateDecision.DryRunFinding finding : decision.dryRun()) {
            metrics.dryRunOverLimit(namespace, finding.quota());
            events.dryRun(job, finding.outcome() == Outcome.QUEUE, finding.message());
        }
    }

    private static void send(HttpExchange exchange, int status, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}

package dev.sluice.operator.jobs;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import dev.sluice.operator.jobs.NamespaceAdmission.CreateAdmission;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON Patch (RFC 6902) the webhook answers with, as a pure function of the Job and the decision:
 * an admitted Job gets its ticket; a queued one is suspended, labelled {@code sluice.dev/queued} and
 * annotated with when, by which quotas, why, and until when a failure backoff holds it.
 */
public final class JobPatch {
    private JobPatch() {
    }

    public static List<Map<String, Object>> of(Job job, CreateAdmission admission) {
        List<Map<String, Object>> ops = new ArrayList<>();
        Outcome outcome = admission.decision().outcome();
        if (outcome != Outcome.ADMIT && outcome != Outcome.QUEUE) {
            return ops;
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(JobMarks.TICKET, admission.ticket());
        if (outcome == Outcome.QUEUE) {
            ops.add(op("/spec/suspend", true));
            Map<String, String> labels = new LinkedHashMap<>(job.getMetadata().getLabels() == null ? Map.of() : job.getMetadata().getLabels());
            labels.put(JobMarks.QUEUED_LABEL, "true");
            ops.add(op("/metadata/labels", labels));
            annotations.put(JobMarks.QUEUED_AT, admission.queuedAt().toString());
            annotations.put(JobMarks.QUEUED_BY, String.join(",", admission.decision().quotas()));
            annotations.put(JobMarks.QUEUED_REASON, admission.decision().message());
            if (admission.decision().notBefore() != null) {
                annotations.put(JobMarks.NOT_BEFORE, admission.decision().notBefore().toString());
            }
            if (admission.priority() != null) {
                annotations.put(JobMarks.PRIORITY, admission.priority().toString());
            }
        }
        Map<String, String> merged = new LinkedHashMap<>(job.getMetadata().getAnnotations() == null ? Map.of() : job.getMetadata().getAnnotations());
        merged.putAll(annotations);
        ops.add(op("/metadata/annotations", merged));
        return ops;
    }

    /** {@code add} sets a member whether or not it exists; the maps are written whole, as the object may lack them. */
    private static Map<String, Object> op(String path, Object value) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("op", "add");
        op.put("path", path);
        op.put("value", value);
        return op;
    }
}

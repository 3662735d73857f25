package dev.sluice.operator.jobs;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What admission needs to know of one Job. A Job is active while it is neither suspended nor
 * finished (a {@code Complete} or {@code Failed} condition, as the Job controller writes them).
 *
 * @param name the Job's name (at creation, possibly only its generateName prefix)
 * @param uid empty before the Job is stored
 * @param failedAt when the Job failed, or null
 * @param createdAt the creation timestamp, or null before the Job is stored
 */
public record JobView(
        String name,
        String uid,
        Map<String, String> labels,
        Map<String, String> annotations,
        boolean suspended,
        boolean finished,
        Instant failedAt,
        Instant createdAt,
        String priorityClassName) {

    public JobView {
        uid = uid == null ? "" : uid;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static JobView of(Job job) {
        var metadata = job.getMetadata();
        boolean suspended = job.getSpec() != null && Boolean.TRUE.equals(job.getSpec().getSuspend());
        List<JobCondition> conditions = job.getStatus() == null || job.getStatus().getConditions() == null
                ? List.of() : job.getStatus().getConditions();
        boolean finished = false;
        Instant failedAt = null;
        for (JobCondition condition : conditions) {
            if (!"True".equals(condition.getStatus())) {
                continue;
            }
            if ("Complete".equals(condition.getType())) {
                finished = true;
            } else if ("Failed".equals(condition.getType())) {
                finished = true;
                failedAt = parse(condition.getLastTransitionTime());
                if (failedAt == null) {
                    failedAt = parse(metadata.getCreationTimestamp());
                }
            }
        }
        String name = metadata.getName() != null ? metadata.getName() : metadata.getGenerateName();
        String priorityClass = job.getSpec() == null || job.getSpec().getTemplate() == null || job.getSpec().getTemplate().getSpec() == null
                ? null : job.getSpec().getTemplate().getSpec().getPriorityClassName();
        return new JobView(name, metadata.getUid(), metadata.getLabels(), metadata.getAnnotations(), suspended, finished, failedAt,
                parse(metadata.getCreationTimestamp()), priorityClass);
    }

    public boolean active() {
        return !suspended && !finished;
    }

    /** Suspended by Sluice and waiting for a slot. */
    public boolean queuedBySluice() {
        return suspended && !finished && "true".equals(labels.get(JobMarks.QUEUED_LABEL));
    }

    /** The FIFO position: when Sluice queued it, else when it was created. */
    public Instant queuedAt() {
        Instant queuedAt = parse(annotations.get(JobMarks.QUEUED_AT));
        if (queuedAt != null) {
            return queuedAt;
        }
        return createdAt == null ? Instant.EPOCH : createdAt;
    }

    /** The backoff time written when the Job was queued, or null. */
    public Instant notBefore() {
        return parse(annotations.get(JobMarks.NOT_BEFORE));
    }

    /** The JobQuotas that queued it ({@link JobMarks#QUEUED_BY}); empty when Sluice did not. */
    public List<String> queuedBy() {
        String names = annotations.get(JobMarks.QUEUED_BY);
        return names == null || names.isBlank() ? List.of() : Arrays.stream(names.split(",")).map(String::trim).toList();
    }

    public String ticket() {
        return annotations.get(JobMarks.TICKET);
    }

    static Instant parse(String timestamp) {
        if (timestamp == null || timestamp.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}

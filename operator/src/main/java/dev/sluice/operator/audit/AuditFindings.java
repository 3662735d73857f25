package dev.sluice.operator.audit;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One audit's outcome: the pods that lack the sidecar they should have, each with why, and their
 * number per audited namespace (0 for a namespace where every selected pod has it).
 */
record AuditFindings(List<Missing> missing, Map<String, Integer> missingByNamespace) {

    /** A pod without the sidecar, and the sentence its Event says. */
    record Missing(Pod pod, String reason) {
        String uid() {
            return pod.getMetadata().getUid();
        }
    }

    AuditFindings {
        missing = List.copyOf(missing);
        missingByNamespace = Map.copyOf(missingByNamespace);
    }

    /**
     * Audits {@code pods}: those of namespaces labelled {@code sluice.dev/inject} and those opting in
     * elsewhere, as listed.
     *
     * @param namespaceModes the audited namespaces with their label's value; a pod of a namespace not in it
     *     is judged by its own opt-in label
     */
    static AuditFindings of(Map<String, String> namespaceModes, Collection<Pod> pods) {
        List<Missing> missing = new ArrayList<>();
        Map<String, Integer> counts = new TreeMap<>();
        namespaceModes.keySet().forEach(namespace -> counts.put(namespace, 0));
        for (Pod pod : pods) {
            String namespace = pod.getMetadata().getNamespace();
            counts.putIfAbsent(namespace, 0);
            SidecarCheck.missing(pod, namespaceModes.get(namespace)).ifPresent(reason -> {
                missing.add(new Missing(pod, reason));
                counts.merge(namespace, 1, Integer::sum);
            });
        }
        return new AuditFindings(missing, counts);
    }
}

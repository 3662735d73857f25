package dev.sluice.operator.jobs;

import java.util.Set;

/** Which namespaces the Job admission webhook is called for: the namespaces that have a JobQuota. */
public interface WebhookScope {
    /** Makes the webhook cover exactly these namespaces. */
    void cover(Set<String> namespaces);

    /** Whether the webhook is configured, covers the namespace, and the API server calls it there already. */
    boolean covers(String namespace);

    /** Whether there is a webhook at all. */
    default boolean enabled() {
        return true;
    }

    /** No webhook: new Jobs are never held. */
    WebhookScope NONE = new WebhookScope() {
        @Override
        public void cover(Set<String> namespaces) {
        }

        @Override
        public boolean covers(String namespace) {
            return false;
        }

        @Override
        public boolean enabled() {
            return false;
        }
    };
}

package dev.sluice.operator.jobs;

import java.util.Set;

/** Which namespaces the Job admission webhooks are called for: the namespaces that have a JobQuota. */
public interface WebhookScope {
    /**
     * Makes the webhooks cover exactly these namespaces.
     *
     * @param labelled the namespaces that carry the label the webhook configurations select on, as the
     *     namespace informer sees them now
     */
    void cover(Set<String> namespaces, Set<String> labelled);

    /** Whether the webhooks cover the namespace and the API server calls them there already. */
    boolean covers(String namespace);

    /** Whether there is a webhook at all. */
    default boolean enabled() {
        return true;
    }

    /** No webhook: new Jobs are never held, and no namespace is labelled for one. */
    WebhookScope NONE = new WebhookScope() {
        @Override
        public void cover(Set<String> namespaces, Set<String> labelled) {
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

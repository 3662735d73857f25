package dev.sluice.sidecar.watch;

/**
 * The state of the watched ConfigMap's document as the API server delivered it.
 *
 * @param configMap the ConfigMap, {@code namespace/name}
 * @param uid the ConfigMap's uid; null when it is absent
 * @param resourceVersion the ConfigMap's resourceVersion, or the list's when it is absent
 * @param text the document; null when the ConfigMap or its key is absent: nothing is enforced
 */
public record WatchedDocument(String configMap, String uid, String resourceVersion, String text) {
    public static WatchedDocument absent(String configMap, String resourceVersion) {
        return new WatchedDocument(configMap, null, resourceVersion, null);
    }

    public boolean present() {
        return text != null;
    }
}

package dev.sluice.sidecar.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A directory laid out and updated as the kubelet's atomic writer does a ConfigMap volume: the data in a
 * timestamped directory {@code ..<timestamp>}, the symlink {@code ..data} to it, swapped by renaming a new
 * symlink over it, and each key a symlink {@code key -> ..data/key}. An optional ConfigMap that does not
 * exist (yet, or any more) is an empty payload: the directory holds no key.
 */
public final class ConfigMapVolume {
    private static final String DATA = "..data";

    private final Path directory;
    private int version;

    public ConfigMapVolume(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    public Path file(String key) {
        return directory.resolve(key);
    }

    /** The ConfigMap is created or changed to {@code data}: written aside, swapped in with one rename, keys no longer there removed. */
    public void write(Map<String, String> data) throws IOException {
        Path previous = Files.isSymbolicLink(directory.resolve(DATA)) ? directory.resolve(Files.readSymbolicLink(directory.resolve(DATA))) : null;
        String next = "..2026_01_01_00_00_00." + ++version;
        Path nextDirectory = Files.createDirectory(directory.resolve(next));
        for (Map.Entry<String, String> entry : data.entrySet()) {
            Files.writeString(nextDirectory.resolve(entry.getKey()), entry.getValue());
        }
        Path temporary = Files.createSymbolicLink(directory.resolve("..data_tmp"), Path.of(next));
        Files.move(temporary, directory.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String key : data.keySet()) {
            if (!Files.isSymbolicLink(directory.resolve(key))) {
                Files.createSymbolicLink(directory.resolve(key), Path.of(DATA, key));
            }
        }
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!name.startsWith("..") && !data.containsKey(name)) {
                    Files.delete(entry);
                }
            }
        }
        if (previous != null) {
            deleteTree(previous);
        }
    }

    /** The ConfigMap is deleted: for an optional volume, the kubelet writes the empty payload. */
    public void delete() throws IOException {
        write(Map.of());
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}

package dev.sluice.sidecar;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2 frames read and written by hand (RFC 9113, 4.1), for tests that must see what a client or server library
 * hides: which frames go by, in what order, with what flags.
 */
public final class H2Frames {
    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int SETTINGS = 0x4;
    public static final int PING = 0x6;
    public static final int GOAWAY = 0x7;
    public static final int END_STREAM = 0x1;
    public static final int ACK = 0x1;
    public static final int END_HEADERS = 0x4;
    /** The client connection preface. */
    public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private H2Frames() {
    }

    /** A frame as read: its type, flags, stream and payload. */
    public record Frame(int type, int flags, int stream, byte[] payload) {
        public boolean is(int frameType, int flag) {
            return type == frameType && (flags & flag) == flag;
        }

        public boolean endsStream() {
            return (type == DATA || type == HEADERS) && (flags & END_STREAM) != 0;
        }

        /** A GOAWAY's last stream id. */
        public int lastStream() {
            return ByteBuffer.wrap(payload).getInt() & 0x7fffffff;
        }

        /** A GOAWAY's error code (0 is NO_ERROR). */
        public int errorCode() {
            return ByteBuffer.wrap(payload, 4, 4).getInt();
        }

        @Override
        public String toString() {
            return "frame type " + type + " flags " + flags + " stream " + stream + " payload of " + payload.length + " bytes";
        }
    }

    /** The next frame. */
    public static Frame read(DataInputStream in) throws IOException {
        int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        return new Frame(type, flags, stream, in.readNBytes(length));
    }

    /** Writes one frame and flushes it. */
    public static void write(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(9);
        head.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        head.put((byte) type).put((byte) flags).putInt(stream);
        out.write(head.array());
        out.write(payload);
        out.flush();
    }
}

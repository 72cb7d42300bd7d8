package io.samtune.cluster;

/**
 * A {@code host:port} as written in options and settings files ({@code 127.0.0.1:7801},
 * {@code node-3.cluster:7800}; the last colon separates the port).
 *
 * @param host the host name or address
 * @param port 1..65535
 */
public record HostPort(String host, int port) {

    /**
     * Reads one.
     *
     * @param where names the option or key in the message ({@code --peers}, {@code federation setting 'bind'})
     * @throws IllegalArgumentException naming {@code where} and the text
     */
    public static HostPort parse(String text, String where) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(text.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(where + " must be host:port with a port 1..65535, got '" + text + "'");
        }
        return new HostPort(text.substring(0, colon).trim(), port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}

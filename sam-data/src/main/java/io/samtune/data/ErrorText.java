package io.samtune.data;

/** Error text for users: what a low-level error means, bounded, without class names. */
public final class ErrorText {

    private ErrorText() {
    }

    /**
     * What went wrong in a low-level error, for a message: its own text cut to 200 characters, or
     * what its kind means when it has none (never a class name, never "null").
     */
    public static String describe(Throwable e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "file not found";
        }
        if (e instanceof java.io.EOFException || e instanceof java.nio.BufferUnderflowException) {
            return "unexpected end of data";
        }
        if (e instanceof java.util.zip.DataFormatException || e instanceof java.util.zip.ZipException) {
            return "corrupt compressed data";
        }
        if (e instanceof ArithmeticException || e instanceof NegativeArraySizeException) {
            return "sizes out of range";
        }
        if (e instanceof ClassCastException) {
            return "a value of the wrong type where another was expected";
        }
        if (e instanceof IndexOutOfBoundsException) {
            return "a reference to data that is not there";
        }
        if (e instanceof NullPointerException) {
            return "a missing value";
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getCause() != null && e.getCause() != e ? describe(e.getCause()) : "malformed structure";
        }
        return m.length() <= 200 ? m : m.substring(0, 197) + "...";
    }
}

package mailproxy.nginx;

/** Where a directive was written: the file as shown to the user, and the line. */
record Source(String file, int line) {

    @Override
    public String toString() {
        return file + ":" + line;
    }
}

-- Host targets may be reached over SSH: key-based only, the private key encrypted (Data Protection)
-- like passwords, and the server's host key pinned by its SHA256 fingerprint.
ALTER TABLE targets
    ADD COLUMN ssh_host text,
    ADD COLUMN ssh_port integer,
    ADD COLUMN ssh_user text,
    ADD COLUMN ssh_key_protected text,
    ADD COLUMN ssh_host_key text;

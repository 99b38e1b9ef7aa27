/* The RFC 5626 instance id of a profile, kept in a state file; see sip.h. */
#include "sip-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "random.h"

/* ---- instance id -------------------------------------------------------- */

bool sip_uuid_valid(const char *text, size_t len)
{
	size_t i;

	if (text == NULL || len != 36)
		return false;
	for (i = 0; i < 36; i++) {
		char c = text[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

/* mkdir -p with mode 0700 for what we create. */
static int make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int err = errno;

			*p = '/';
			return err;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

int sip_instance_id_load(const char *state_dir, const char *profile,
			 char *buf, size_t size)
{
	unsigned char b[16];
	char uuid[40], line[64];
	char *dir = NULL, *file = NULL, *tmp = NULL;
	size_t n, dlen;
	FILE *f;
	int err = 0, fd;

	if (state_dir == NULL || state_dir[0] == '\0' || buf == NULL)
		return EINVAL;
	if (size < 37)
		return ENOSPC;
	if (profile == NULL || profile[0] == '\0')
		profile = "default";
	if (strchr(profile, '/') != NULL || strcmp(profile, ".") == 0 ||
	    strcmp(profile, "..") == 0)
		return EINVAL;
	dlen = strlen(state_dir) + strlen(profile) + 2;
	dir = malloc(dlen);
	file = malloc(dlen + 16);
	tmp = malloc(dlen + 48);
	if (dir == NULL || file == NULL || tmp == NULL) {
		err = ENOMEM;
		goto out;
	}
	snprintf(dir, dlen, "%s/%s", state_dir, profile);
	snprintf(file, dlen + 16, "%s/instance-id", dir);
	f = fopen(file, "r");
	if (f != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
		n = strcspn(line, "\r\n");
		if (!sip_uuid_valid(line, n)) {
			err = EBADMSG;
			goto out;
		}
		for (n = 0; n < 36; n++)
			buf[n] = (char)(line[n] >= 'A' && line[n] <= 'F'
						? line[n] - 'A' + 'a'
						: line[n]);
		buf[36] = '\0';
		goto out;
	}
	if (errno != ENOENT) {
		err = errno;
		goto out;
	}
	err = random_bytes(b, sizeof(b));
	if (err != 0)
		goto out;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	err = make_dirs(dir);
	if (err != 0)
		goto out;
	/* write a temporary file and rename it: never a half-written id */
	snprintf(tmp, dlen + 48, "%s/.instance-id.%ld", dir, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	n = strlen(uuid);
	uuid[n] = '\n';
	if (write(fd, uuid, n + 1) != (ssize_t)(n + 1)) {
		err = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		goto out;
	}
	uuid[n] = '\0';
	if (close(fd) != 0) {
		err = errno;
		unlink(tmp);
		goto out;
	}
	/* a concurrent first run may have won: keep its id */
	if (link(tmp, file) != 0) {
		int e = errno;

		unlink(tmp);
		free(dir);
		free(file);
		free(tmp);
		if (e == EEXIST)
			return sip_instance_id_load(state_dir, profile, buf, size);
		return e;
	}
	unlink(tmp);
	memcpy(buf, uuid, 37);
out:
	free(dir);
	free(file);
	free(tmp);
	return err;
}


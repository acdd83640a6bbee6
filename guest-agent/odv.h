/* The odv agent's commands: each one's argc/argv are what follows its name on
 * the command line; each returns an exit code (cli.h). */
#ifndef ODV_AGENT_H
#define ODV_AGENT_H

int cmd_check(int argc, char **argv);        /* check.c */
int cmd_go_virtual(int argc, char **argv);   /* go_virtual.c */
int cmd_go_native(int argc, char **argv);    /* go_native.c */
int cmd_log(int argc, char **argv);          /* hvcall.c */
int cmd_prepare(int argc, char **argv);      /* devices.c */
int cmd_devices(int argc, char **argv);      /* devices.c */
int cmd_replug(int argc, char **argv);       /* replug.c */

#endif

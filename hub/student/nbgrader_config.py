# nbgrader settings of every student's server on the aelab hub (hub/jupyterhub_config.py puts
# this folder on JUPYTER_CONFIG_PATH and sets the variables read here). They serve JupyterLab's
# Nbgrader > Assignment List and `nbgrader fetch_assignment` / `submit` in a student's terminal. Beside
# this file, jupyter_server_config.json and labconfig/page_config.json turn off nbgrader's
# instructor tools (formgrader, course list, "Create Assignment") in the students' servers.
import os

c = get_config()  # noqa: F821
c.Exchange.root = os.environ["AELAB_EXCHANGE"]
c.CourseDirectory.course_id = os.environ["AELAB_COURSE_ID"]
# The simple spawner runs every student as the hub's unix user, so nbgrader cannot tell students
# apart by their unix name: a submission is labelled with the hub's user name instead. (With a
# unix user or a container per student, a school can drop this line.)
c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]

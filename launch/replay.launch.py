"""Mosaic over a recorded drive: `ros2 bag play --clock` and the node following /clock.

    ros2 launch mosaic_localization replay.launch.py bag:=drives/kitchen_2 map:=/maps/kitchen
    ros2 launch launch/replay.launch.py bag:=... map:=... rate:=0.5   # from a checkout

Takes the arguments of mosaic.launch.py (map, params_file, transport, mosaic_command, namespace, log_level,
rviz, rviz_config) plus:
    bag    rosbag2 to play (directory, .mcap or .db3)
    rate   playback speed (default 1.0)
    start_offset  seconds into the bag to start at (default 0)

The node runs with use_sim_time, so its latencies and stamps follow the bag's clock. For a deterministic
replay that localizes every frame (no DDS, no dropped images), use `mosaic node --bag BAG` instead.
"""
import importlib.util
import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess
from launch.substitutions import LaunchConfiguration

# The node and the common arguments come from mosaic.launch.py, installed beside this file.
_spec = importlib.util.spec_from_file_location(
    'mosaic_launch', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mosaic.launch.py'))
_mosaic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mosaic)


def generate_launch_description():
    play = ExecuteProcess(
        cmd=['ros2', 'bag', 'play', LaunchConfiguration('bag'), '--clock',
             '--rate', LaunchConfiguration('rate'), '--start-offset', LaunchConfiguration('start_offset')],
        output='screen',
    )
    return LaunchDescription(
        _mosaic.declare_common_arguments()
        + [
            DeclareLaunchArgument('bag', description='rosbag2 to play'),
            DeclareLaunchArgument('rate', default_value='1.0', description='playback speed'),
            DeclareLaunchArgument('start_offset', default_value='0.0', description='seconds into the bag to start'),
            play,
        ]
        + _mosaic.node_actions(
            LaunchConfiguration('map'), LaunchConfiguration('params_file'), 'true',
            LaunchConfiguration('namespace'), LaunchConfiguration('log_level'), LaunchConfiguration('transport'),
            LaunchConfiguration('mosaic_command'))
        + [_mosaic.rviz_action('true')])

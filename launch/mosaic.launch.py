"""Mosaic on a robot: the localization node on the live ROS 2 network.

    ros2 launch mosaic_localization mosaic.launch.py map:=/maps/kitchen
    ros2 launch launch/mosaic.launch.py map:=/maps/kitchen params_file:=my_robot.yaml   # from a checkout

Arguments:
    map          privacy map directory (required; overrides the params file's `map`)
    params_file  node parameters (default: the installed config/mosaic.yaml, every parameter documented)
    transport    dds (default): `mosaic node` talks ROS 2 through Cyclone DDS (needs `mosaic` on PATH or
                 `mosaic_command`, and rmw_cyclonedds_cpp on the other nodes' side for the wire format)
                 rclcs: the mosaic_localization_node executable of this package (ros2_dotnet)
    mosaic_command  the command that runs the mosaic CLI (default: mosaic)
    namespace    node namespace (default: none); node name: mosaic
    use_sim_time true to follow /clock (bag replay)
    log_level    debug | info | warn | error | fatal
    rviz         true to start RViz 2 with rviz_config (default false)
    rviz_config  RViz 2 configuration (default: the installed config/mosaic.rviz: map cloud, pose, TF,
                 debug label images; its topics assume no namespace)
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def node_actions(map_path, params_file, use_sim_time, namespace, log_level, transport, mosaic_command):
    """The node through the chosen transport; shared with replay.launch.py."""
    is_dds = IfCondition(PythonExpression(["'", transport, "' == 'dds'"]))
    is_rclcs = IfCondition(PythonExpression(["'", transport, "' == 'rclcs'"]))
    return [
        ExecuteProcess(
            condition=is_dds,
            cmd=[mosaic_command, 'node', '--ros-args',
                 '-r', '__node:=mosaic', '-r', ['__ns:=', PythonExpression(["'/' + '", namespace, "'.strip('/')"])],
                 '--params-file', params_file,
                 '-p', ['map:=', map_path], '-p', ['use_sim_time:=', use_sim_time],
                 '--log-level', log_level],
            output='screen',
            shell=False,
        ),
        Node(
            condition=is_rclcs,
            package='mosaic_localization',
            executable='mosaic_localization_node',
            name='mosaic',
            namespace=namespace,
            output='screen',
            parameters=[params_file, {'map': map_path, 'use_sim_time': use_sim_time}],
            arguments=['--ros-args', '--log-level', log_level],
        ),
    ]


def rviz_action(use_sim_time):
    """RViz 2 with the Mosaic view, when rviz:=true; shared with replay.launch.py."""
    return Node(
        condition=IfCondition(LaunchConfiguration('rviz')),
        package='rviz2',
        executable='rviz2',
        name='rviz2',
        arguments=['-d', LaunchConfiguration('rviz_config')],
        parameters=[{'use_sim_time': use_sim_time}],
        output='screen',
    )


def declare_common_arguments():
    """Launch arguments both launch files take."""
    return [
        DeclareLaunchArgument('map', description='privacy map directory (map.yaml + gaussians.ply)'),
        DeclareLaunchArgument(
            'params_file',
            default_value=PathJoinSubstitution([FindPackageShare('mosaic_localization'), 'config', 'mosaic.yaml']),
            description='node parameters (ROS 2 params file)'),
        DeclareLaunchArgument('transport', default_value='dds', choices=['dds', 'rclcs'],
                              description='dds: mosaic node over Cyclone DDS; rclcs: this package\'s ros2_dotnet node'),
        DeclareLaunchArgument('mosaic_command', default_value='mosaic', description='command that runs the mosaic CLI'),
        DeclareLaunchArgument('namespace', default_value='', description='node namespace'),
        DeclareLaunchArgument('log_level', default_value='info', description='debug | info | warn | error | fatal'),
        DeclareLaunchArgument('rviz', default_value='false', choices=['true', 'false'], description='start RViz 2 with rviz_config'),
        DeclareLaunchArgument(
            'rviz_config',
            default_value=PathJoinSubstitution([FindPackageShare('mosaic_localization'), 'config', 'mosaic.rviz']),
            description='RViz 2 configuration (topics for the default names, no namespace)'),
    ]


def generate_launch_description():
    return LaunchDescription(
        declare_common_arguments()
        + [DeclareLaunchArgument('use_sim_time', default_value='false', description='follow /clock')]
        + node_actions(
            LaunchConfiguration('map'), LaunchConfiguration('params_file'), LaunchConfiguration('use_sim_time'),
            LaunchConfiguration('namespace'), LaunchConfiguration('log_level'), LaunchConfiguration('transport'),
            LaunchConfiguration('mosaic_command'))
        + [rviz_action(LaunchConfiguration('use_sim_time'))])
